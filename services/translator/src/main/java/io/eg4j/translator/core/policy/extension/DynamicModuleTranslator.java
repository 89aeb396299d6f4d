package io.eg4j.translator.core.policy.extension;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.extension.ExtensionIr.DynamicModuleIr;
import io.eg4j.translator.core.policy.PolicyException;
import io.eg4j.translator.core.policy.UriClusters;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * EnvoyExtensionPolicy {@code dynamicModule}: one dynamic modules HTTP filter per entry, running a
 * shared library that the infrastructure operator registered by name in the EnvoyProxy of the
 * policy's Gateway ({@code spec.dynamicModules}). A policy can only name modules of that registry:
 * the EnvoyProxy says where the library is (a path on the proxy's filesystem, or a URL Envoy
 * downloads and checks against its SHA-256) and how it is loaded ({@code doNotClose}, {@code
 * loadGlobally}); the policy picks the filter implementation inside it ({@code filterName}) and
 * gives it its {@code config}, handed to the module as JSON text.
 *
 * <p>A name the registry does not hold, or a registry entry without the source its type needs,
 * makes the policy invalid (as in Envoy Gateway: the error names the module, and the policy's
 * routes answer 500). Envoy Gateway has no fail-open for dynamic modules. {@code terminalFilter:
 * true} is refused too: Envoy rejects the whole listener when a terminal filter is not the last one
 * (the router is), so it cannot be applied to some routes only.
 */
public final class DynamicModuleTranslator {
  static final List<String> SUPPORTED =
      List.of(
          "dynamicModule[].name",
          "dynamicModule[].filterName",
          "dynamicModule[].config.**",
          "dynamicModule[].terminalFilter");

  private DynamicModuleTranslator() {}

  /** True when the policy spec has dynamic modules. */
  public static boolean present(JsonNode spec) {
    JsonNode list = spec.path("dynamicModule");
    return list.isArray() && !list.isEmpty();
  }

  /**
   * The filters of {@code spec.dynamicModule}, resolved against the registry of one EnvoyProxy.
   *
   * @param id the policy's id, {@code envoyextensionpolicy/<namespace>/<name>}
   * @param envoyProxy the spec of the EnvoyProxy in effect for the Gateway, or null when there is
   *     none (then no module is registered)
   * @throws PolicyException naming every module that cannot be used, joined by "; "
   */
  public static List<DynamicModuleIr> translate(JsonNode spec, String id, JsonNode envoyProxy)
      throws PolicyException {
    JsonNode list = spec.path("dynamicModule");
    if (!list.isArray() || list.isEmpty()) {
      return List.of();
    }
    Map<String, JsonNode> registry = new LinkedHashMap<>();
    if (envoyProxy != null) {
      for (JsonNode entry : envoyProxy.path("dynamicModules")) {
        registry.putIfAbsent(entry.path("name").asText(""), entry);
      }
    }
    List<DynamicModuleIr> out = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode dm = list.get(i);
      String module = dm.path("name").asText("");
      JsonNode entry = registry.get(module);
      if (entry == null) {
        errors.add(notRegistered(module));
        continue;
      }
      try {
        out.add(one(dm, i, id, module, entry));
      } catch (PolicyException e) {
        errors.add(e.getMessage());
      }
    }
    if (!errors.isEmpty()) {
      throw new PolicyException("DynamicModule: " + String.join("; ", errors));
    }
    return out;
  }

  /**
   * The module the EnvoyProxy registers as {@code module}, for a load balancer ({@code
   * loadBalancer.dynamicModule} of a BackendTrafficPolicy): the IR's {@code name} is the module's
   * registry name, its {@code filterName} the load balancer's name inside the module.
   *
   * @param config the load balancer's config as JSON text, or null
   * @param envoyProxy the spec of the EnvoyProxy in effect for the Gateway, or null when there is
   *     none (then no module is registered)
   * @throws PolicyException when the registry does not hold the module or its entry lacks the
   *     source its type needs
   */
  public static DynamicModuleIr registered(
      String module, String lbPolicyName, String config, JsonNode envoyProxy)
      throws PolicyException {
    JsonNode entry = null;
    if (envoyProxy != null) {
      for (JsonNode e : envoyProxy.path("dynamicModules")) {
        if (e.path("name").asText("").equals(module)) {
          entry = e;
          break;
        }
      }
    }
    if (entry == null) {
      throw new PolicyException(notRegistered(module));
    }
    return source(module, module, lbPolicyName, config, false, entry);
  }

  private static String notRegistered(String module) {
    return "dynamic module \""
        + module
        + "\" is not registered in the EnvoyProxy dynamicModules allowlist";
  }

  private static DynamicModuleIr one(JsonNode dm, int i, String id, String module, JsonNode entry)
      throws PolicyException {
    String config = null;
    JsonNode c = dm.path("config");
    if (!c.isMissingNode() && !c.isNull()) {
      try {
        config = Json.MAPPER.writeValueAsString(c);
      } catch (JsonProcessingException e) {
        throw new PolicyException(
            "dynamic module \"" + module + "\" has an invalid config: " + e.getOriginalMessage());
      }
    }
    String name = id + "/dynamic-module/" + i;
    String filterName = dm.path("filterName").asText("");
    boolean terminal = dm.path("terminalFilter").asBoolean(false);
    if (terminal) {
      // Envoy refuses a listener whose terminal HTTP filter is not its last one, and the router
      // (which every other route needs) is last: such a module would take the whole listener down.
      throw new PolicyException(
          "dynamic module \""
              + module
              + "\" sets terminalFilter, which eg4j does not apply: Envoy accepts a terminal HTTP"
              + " filter only as the last filter of a listener, where the router must stay");
    }
    return source(name, module, filterName, config, terminal, entry);
  }

  /** The module of a registry entry, from its local path or its remote URL and checksum. */
  private static DynamicModuleIr source(
      String name,
      String module,
      String filterName,
      String config,
      boolean terminal,
      JsonNode entry)
      throws PolicyException {
    boolean doNotClose = entry.path("doNotClose").asBoolean(false);
    boolean loadGlobally = entry.path("loadGlobally").asBoolean(false);
    JsonNode source = entry.path("source");
    String type = source.path("type").asText("Local");
    switch (type) {
      case "Remote" -> {
        JsonNode remote = source.path("remote");
        if (!remote.isObject()) {
          throw new PolicyException("dynamic module \"" + module + "\" has no remote source");
        }
        String url = remote.path("url").asText("");
        String sha256 = remote.path("sha256").asText("");
        if (url.isEmpty()) {
          throw new PolicyException("dynamic module \"" + module + "\" has no remote source URL");
        }
        if (sha256.isEmpty()) {
          throw new PolicyException(
              "dynamic module \"" + module + "\" has no remote source SHA256");
        }
        RouteDestinationIr cluster = remoteCluster(module, url);
        return new DynamicModuleIr(
            name,
            filterName,
            config,
            terminal,
            doNotClose,
            loadGlobally,
            null,
            url,
            sha256.toLowerCase(Locale.ROOT),
            cluster);
      }
      case "Local" -> {
        String path = source.path("local").path("path").asText("");
        if (path.isEmpty()) {
          throw new PolicyException("dynamic module \"" + module + "\" has no local source");
        }
        return new DynamicModuleIr(
            name, filterName, config, terminal, doNotClose, loadGlobally, path, null, null, null);
      }
      default ->
          throw new PolicyException(
              "dynamic module \"" + module + "\" has unsupported source type \"" + type + "\"");
    }
  }

  /** The cluster of a remote module's URL: http or https, with a host and a numeric port. */
  private static RouteDestinationIr remoteCluster(String module, String url)
      throws PolicyException {
    String prefix =
        "dynamic module \"" + module + "\" has invalid remote source URL \"" + url + "\": ";
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new PolicyException(prefix + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new PolicyException(prefix + "unsupported URL scheme \"" + scheme + "\"");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new PolicyException(prefix + "URL must include a hostname");
    }
    return UriClusters.of(uri, scheme);
  }
}
