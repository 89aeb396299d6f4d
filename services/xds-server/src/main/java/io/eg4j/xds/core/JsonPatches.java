package io.eg4j.xds.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.eg4j.model.ir.XdsIr.JsonPatchIr;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies EnvoyPatchPolicy operations (RFC 6902 JSON Patch) to the resources built from an IR, as
 * Envoy Gateway does after its xDS translation: each operation, in order, goes to the JSON form of
 * the resource of its type and name (Envoy's snake_case field names, {@code Any} expanded), and the
 * result is parsed back into the resource's proto type with the type registry of every type eg4j
 * packs. An {@code add} at the empty path of a resource that does not exist creates it from the
 * value. An operation that fails (no such resource, a path that does not resolve, a {@code test}
 * that does not match, a result that is not a valid resource of its type) is skipped and logged:
 * the resource is served as it was before that operation. Each failure is reported too, so that
 * {@link PatchOutcomes} can give the policy its {@code Programmed} condition.
 */
final class JsonPatches {
  private static final Logger log = LoggerFactory.getLogger(JsonPatches.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonPatches() {}

  /**
   * One operation that did not apply.
   *
   * @param patch the operation
   * @param notFound true when the resource it names does not exist
   * @param reason why, for the log
   * @param message what the policy's status says: for a missing resource its {@code type/name},
   *     else the operation, the resource and the error, as Envoy Gateway words them
   */
  record Failure(JsonPatchIr patch, boolean notFound, String reason, String message) {}

  /** The resources with every operation that applies applied; failures are added to the list. */
  static XdsResources apply(XdsResources r, List<JsonPatchIr> patches, List<Failure> failures) {
    if (patches.isEmpty()) {
      return r;
    }
    List<Listener> listeners = new ArrayList<>(r.listeners());
    List<RouteConfiguration> routes = new ArrayList<>(r.routes());
    List<Cluster> clusters = new ArrayList<>(r.clusters());
    List<ClusterLoadAssignment> endpoints = new ArrayList<>(r.endpoints());
    List<Secret> secrets = new ArrayList<>(r.secrets());
    for (JsonPatchIr p : patches) {
      Failure failure =
          switch (p.type()) {
            case "type.googleapis.com/envoy.config.listener.v3.Listener" ->
                patch(listeners, Listener::getName, Listener::newBuilder, p);
            case "type.googleapis.com/envoy.config.route.v3.RouteConfiguration" ->
                patch(routes, RouteConfiguration::getName, RouteConfiguration::newBuilder, p);
            case "type.googleapis.com/envoy.config.cluster.v3.Cluster" ->
                patch(clusters, Cluster::getName, Cluster::newBuilder, p);
            case "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment" ->
                patch(
                    endpoints,
                    ClusterLoadAssignment::getClusterName,
                    ClusterLoadAssignment::newBuilder,
                    p);
            case "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret" ->
                patch(secrets, Secret::getName, Secret::newBuilder, p);
            default -> {
              String why = "unsupported resource type " + p.type();
              yield new Failure(p, false, why, why);
            }
          };
      if (failure != null) {
        failures.add(failure);
        log.warn(
            "EnvoyPatchPolicy {}: {} {} {} {} not applied: {}",
            p.policy(),
            p.op(),
            p.path(),
            p.type(),
            p.name(),
            failure.reason());
      }
    }
    return new XdsResources(listeners, routes, clusters, endpoints, secrets);
  }

  @SuppressWarnings("unchecked")
  private static <M extends Message> Failure patch(
      List<M> list,
      Function<M, String> name,
      Supplier<? extends Message.Builder> builder,
      JsonPatchIr p) {
    int index = -1;
    for (int i = 0; i < list.size(); i++) {
      if (name.apply(list.get(i)).equals(p.name())) {
        index = i;
        break;
      }
    }
    boolean whole = p.op().equals("add") && p.path().isEmpty() && p.jsonPath() == null;
    if (index < 0 && !whole) {
      return new Failure(
          p, true, "unable to find xds resource " + p.name(), p.type() + "/" + p.name());
    }
    String resource = null;
    JsonNode patched = null;
    try {
      JsonNode doc;
      if (index < 0) {
        doc = JSON.nullNode();
      } else {
        resource = Protos.json(list.get(index));
        doc = JSON.readTree(resource);
      }
      patched = applyOne(doc, p);
      Message.Builder b = builder.get();
      NewerProtoFields.merge(patched.toString(), b, Protos.registry());
      M result = (M) b.build();
      if (index < 0) {
        list.add(result);
      } else {
        list.set(index, result);
      }
      return null;
    } catch (InvalidProtocolBufferException e) {
      String json = patched == null ? String.valueOf(p.value()) : patched.toString();
      return new Failure(
          p,
          false,
          e.getMessage(),
          "unable to unmarshal xds resource " + json + ", err:" + e.getMessage());
    } catch (PatchException e) {
      return new Failure(p, false, e.getMessage(), applyMessage(p, resource, e.getMessage()));
    } catch (java.io.IOException | RuntimeException e) {
      String why = "cannot apply: " + e;
      return new Failure(p, false, why, applyMessage(p, resource, why));
    }
  }

  /** Envoy Gateway's words for an operation that does not apply to a resource. */
  private static String applyMessage(JsonPatchIr p, String resource, String error) {
    return "unable to apply patch:\n"
        + operationJson(p)
        + " on resource:\n"
        + (resource == null ? "null" : compact(resource))
        + ", err: "
        + error;
  }

  /** The operation as a one-element JSON Patch document, keys in alphabetical order. */
  static String operationJson(JsonPatchIr p) {
    java.util.TreeMap<String, Object> op = new java.util.TreeMap<>();
    op.put("op", p.op());
    op.put("path", p.path());
    if (p.jsonPath() != null) {
      op.put("jsonPath", p.jsonPath());
    }
    if (p.from() != null) {
      op.put("from", p.from());
    }
    try {
      if (p.value() != null) {
        op.put("value", sorted(JSON.readTree(p.value())));
      }
      return JSON.writeValueAsString(List.of(op));
    } catch (java.io.IOException e) {
      return String.valueOf(op);
    }
  }

  private static Object sorted(JsonNode n) {
    if (n.isObject()) {
      java.util.TreeMap<String, Object> m = new java.util.TreeMap<>();
      n.fields().forEachRemaining(e -> m.put(e.getKey(), sorted(e.getValue())));
      return m;
    }
    if (n.isArray()) {
      List<Object> l = new ArrayList<>();
      n.forEach(x -> l.add(sorted(x)));
      return l;
    }
    return n;
  }

  private static String compact(String json) {
    try {
      return JSON.readTree(json).toString();
    } catch (java.io.IOException e) {
      return json;
    }
  }

  static final class PatchException extends Exception {
    PatchException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Applies one operation to a document; returns the new document. With a {@code jsonPath}, the
   * operation applies at every location the query selects ({@code path} appended to each), last
   * location first so that a change to an array does not move the locations still to come; a query
   * that selects nothing fails the operation, as Envoy Gateway has it.
   */
  static JsonNode applyOne(JsonNode doc, JsonPatchIr p) throws PatchException, java.io.IOException {
    if (p.jsonPath() == null) {
      return applyAt(doc, p, p.path());
    }
    List<String> pointers = JsonPathPointers.of(doc, p.jsonPath());
    if (pointers.isEmpty()) {
      throw new PatchException("jsonPath " + p.jsonPath() + " selects nothing");
    }
    JsonNode out = doc;
    for (int i = pointers.size() - 1; i >= 0; i--) {
      out = applyAt(out, p, pointers.get(i) + p.path());
    }
    return out;
  }

  private static JsonNode applyAt(JsonNode doc, JsonPatchIr p, String target)
      throws PatchException, java.io.IOException {
    if (!target.equals(p.path())) {
      p =
          new JsonPatchIr(
              p.policy(), p.type(), p.name(), p.op(), target, p.from(), p.value(), null);
    }
    JsonNode value = p.value() == null ? null : JSON.readTree(p.value());
    return switch (p.op()) {
      case "add" -> add(doc, pointer(p.path()), value);
      case "remove" -> remove(doc, pointer(p.path()));
      case "replace" -> {
        List<String> path = pointer(p.path());
        get(doc, path); // must exist
        yield add(remove(doc, path), path, value);
      }
      case "move" -> {
        List<String> from = pointer(p.from());
        List<String> to = pointer(p.path());
        if (to.size() > from.size() && to.subList(0, from.size()).equals(from)) {
          throw new PatchException("cannot move " + p.from() + " into itself");
        }
        JsonNode v = get(doc, from).deepCopy();
        yield add(remove(doc, from), to, v);
      }
      case "copy" -> add(doc, pointer(p.path()), get(doc, pointer(p.from())).deepCopy());
      case "test" -> {
        if (!get(doc, pointer(p.path())).equals(value)) {
          throw new PatchException("test failed at " + p.path());
        }
        yield doc;
      }
      default -> throw new PatchException("unsupported operation " + p.op());
    };
  }

  /** RFC 6901: the reference tokens of a JSON pointer. */
  static List<String> pointer(String s) throws PatchException {
    List<String> out = new ArrayList<>();
    if (s == null || s.isEmpty()) {
      return out;
    }
    if (!s.startsWith("/")) {
      throw new PatchException("invalid JSON pointer " + s);
    }
    for (String t : s.substring(1).split("/", -1)) {
      if (t.matches(".*~(?![01]).*")) {
        throw new PatchException("invalid escape in JSON pointer " + s);
      }
      out.add(t.replace("~1", "/").replace("~0", "~"));
    }
    return out;
  }

  private static JsonNode get(JsonNode doc, List<String> path) throws PatchException {
    JsonNode n = doc;
    for (String t : path) {
      if (n != null && n.isObject()) {
        n = n.get(t);
      } else if (n != null && n.isArray()) {
        int i = arrayIndex(t, n.size() - 1);
        n = n.get(i);
      } else {
        n = null;
      }
      if (n == null) {
        throw new PatchException("path /" + String.join("/", path) + " does not exist");
      }
    }
    return n;
  }

  private static int arrayIndex(String t, int max) throws PatchException {
    if (!t.matches("0|[1-9][0-9]{0,8}")) {
      throw new PatchException("invalid array index " + t);
    }
    int i = Integer.parseInt(t);
    if (i > max) {
      throw new PatchException("array index " + t + " out of bounds");
    }
    return i;
  }

  private static JsonNode add(JsonNode doc, List<String> path, JsonNode value)
      throws PatchException {
    if (path.isEmpty()) {
      return value;
    }
    JsonNode parent = get(doc, path.subList(0, path.size() - 1));
    String last = path.get(path.size() - 1);
    if (parent.isObject()) {
      ((ObjectNode) parent).set(last, value);
    } else if (parent.isArray()) {
      ArrayNode a = (ArrayNode) parent;
      if (last.equals("-")) {
        a.add(value);
      } else {
        a.insert(arrayIndex(last, a.size()), value);
      }
    } else {
      throw new PatchException("the parent of " + last + " is not an object or array");
    }
    return doc;
  }

  private static JsonNode remove(JsonNode doc, List<String> path) throws PatchException {
    if (path.isEmpty()) {
      throw new PatchException("cannot remove the whole resource");
    }
    JsonNode parent = get(doc, path.subList(0, path.size() - 1));
    String last = path.get(path.size() - 1);
    if (parent.isObject() && parent.has(last)) {
      ((ObjectNode) parent).remove(last);
    } else if (parent.isArray()) {
      ((ArrayNode) parent).remove(arrayIndex(last, parent.size() - 1));
    } else {
      throw new PatchException("path " + last + " does not exist");
    }
    return doc;
  }
}
