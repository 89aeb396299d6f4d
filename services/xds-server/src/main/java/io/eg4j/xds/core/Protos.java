package io.eg4j.xds.core;

import com.google.protobuf.Any;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.WireFormat;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** Small helpers for building and printing Envoy protos. */
public final class Protos {
  private Protos() {}

  /**
   * Every message type packed through {@link #any}, so that JSON printing can expand any {@code
   * Any} eg4j builds without a hand-kept list of types.
   */
  private static final java.util.Set<com.google.protobuf.Descriptors.Descriptor> PACKED =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private static volatile JsonFormat.TypeRegistry registry;
  private static volatile int registrySize = -1;

  /** Packs a message into an {@code Any}. */
  public static Any any(Message m) {
    PACKED.add(m.getDescriptorForType());
    return Any.pack(m);
  }

  /**
   * Packs a message plus fields that Envoy has but the java-control-plane protos eg4j builds with
   * do not (yet): as an {@code xds.type.v3.TypedStruct} of the message's type, which Envoy reads
   * with its own, newer descriptors and rejects when a field is unknown to it too. {@code extra}
   * edits the message's JSON (snake_case names) before it is packed.
   */
  public static Any anyWithFields(
      Message m,
      java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> extra) {
    try {
      var node =
          (com.fasterxml.jackson.databind.node.ObjectNode)
              io.eg4j.model.bus.Json.MAPPER.readTree(json(m));
      extra.accept(node);
      return typedStruct(m.getDescriptorForType().getFullName(), node);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot extend " + m.getDescriptorForType().getFullName(), e);
    }
  }

  /**
   * A message of a type the java-control-plane protos eg4j builds with do not have at all, given as
   * its JSON (snake_case names): an {@code xds.type.v3.TypedStruct} of that type, which Envoy reads
   * with its own descriptors.
   *
   * @param type the message's full name ({@code envoy.extensions....Config})
   */
  private static Any typedStruct(String type, com.fasterxml.jackson.databind.node.ObjectNode json) {
    try {
      com.google.protobuf.Struct.Builder value = com.google.protobuf.Struct.newBuilder();
      JsonFormat.parser().merge(io.eg4j.model.bus.Json.MAPPER.writeValueAsString(json), value);
      return any(
          com.github.xds.type.v3.TypedStruct.newBuilder()
              .setTypeUrl("type.googleapis.com/" + type)
              .setValue(value)
              .build());
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot pack " + type, e);
    }
  }

  /** The type registry for JSON printing: the base types plus every type packed so far. */
  static JsonFormat.TypeRegistry registry() {
    JsonFormat.TypeRegistry r = registry;
    if (r == null || registrySize != PACKED.size()) {
      synchronized (Protos.class) {
        java.util.List<com.google.protobuf.Descriptors.Descriptor> types =
            new java.util.ArrayList<>(PACKED);
        r = TypeRegistryHolder.base().add(types).build();
        registry = r;
        registrySize = types.size();
      }
    }
    return r;
  }

  /** A protobuf duration from milliseconds. */
  public static Duration millis(long ms) {
    return Duration.newBuilder()
        .setSeconds(ms / 1000)
        .setNanos((int) (ms % 1000) * 1_000_000)
        .build();
  }

  /** A protobuf duration from seconds. */
  public static Duration seconds(long s) {
    return Duration.newBuilder().setSeconds(s).build();
  }

  /** A uint32 wrapper. */
  /**
   * {@code numerator / denominator} as a FractionalPercent, with the smallest of Envoy's
   * denominators (100, 10,000, 1,000,000) that holds it exactly, else a million (rounded down).
   */
  public static io.envoyproxy.envoy.type.v3.FractionalPercent fraction(
      long numerator, long denominator) {
    io.envoyproxy.envoy.type.v3.FractionalPercent.DenominatorType[] types = {
      io.envoyproxy.envoy.type.v3.FractionalPercent.DenominatorType.HUNDRED,
      io.envoyproxy.envoy.type.v3.FractionalPercent.DenominatorType.TEN_THOUSAND,
      io.envoyproxy.envoy.type.v3.FractionalPercent.DenominatorType.MILLION
    };
    long[] scales = {100, 10_000, 1_000_000};
    for (int i = 0; i < scales.length; i++) {
      if ((numerator * scales[i]) % denominator == 0 || i == scales.length - 1) {
        return io.envoyproxy.envoy.type.v3.FractionalPercent.newBuilder()
            .setNumerator((int) (numerator * scales[i] / denominator))
            .setDenominator(types[i])
            .build();
      }
    }
    throw new IllegalStateException();
  }

  public static UInt32Value u32(int v) {
    return UInt32Value.of(v);
  }

  /** An inline data source. */
  public static DataSource inline(String text) {
    return DataSource.newBuilder().setInlineString(text).build();
  }

  /** The config source that says "over the ADS stream, v3". */
  public static ConfigSource ads() {
    return ConfigSource.newBuilder()
        .setAds(AggregatedConfigSource.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)
        .build();
  }

  /** Deterministic bytes of a message (map entries sorted), the basis of content versions. */
  public static byte[] deterministicBytes(Message m) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(m.getSerializedSize());
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.useDeterministicSerialization();
      m.writeTo(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Per-message hashes and encodings, remembered by identity (Guava's weak keys compare by
   * identity) so a resource is serialized once, however many snapshot steps and lists it is in: the
   * bytes its hash is computed from are the bytes sent to Envoy ({@link #packed}).
   */
  private static final com.google.common.cache.Cache<Message, Encoded> ENCODED =
      com.google.common.cache.CacheBuilder.newBuilder().weakKeys().build();

  /** One message's content hash and the {@code Any} that carries its (deterministic) bytes. */
  private record Encoded(String hash, Any any) {}

  private static Encoded encoded(Message m) {
    Encoded e = ENCODED.getIfPresent(m);
    if (e == null) {
      byte[] b = m instanceof RouteConfiguration rc ? routeConfigBytes(rc) : deterministicBytes(m);
      e =
          new Encoded(
              digestOf(List.of(b)),
              Any.newBuilder()
                  .setTypeUrl("type.googleapis.com/" + m.getDescriptorForType().getFullName())
                  .setValue(com.google.protobuf.UnsafeByteOperations.unsafeWrap(b))
                  .build());
      ENCODED.put(m, e);
    }
    return e;
  }

  /**
   * The routes' deterministic encodings, remembered by identity (weak keys), for {@link
   * #routeConfigBytes}: the route translator gives an unchanged route the Route instance of its
   * last translation, so a change to one route of thousands encodes that route alone again.
   */
  private static final com.google.common.cache.Cache<Message, byte[]> ROUTES =
      com.google.common.cache.CacheBuilder.newBuilder().weakKeys().build();

  /**
   * {@link #deterministicBytes} of a route configuration, byte for byte, from the remembered
   * encodings of its routes (issue #16: at a thousand routes, encoding the whole configuration for
   * each change was a sixth of the xds-server's work on it). Protobuf writes a message's fields in
   * field-number order, a message field as its tag, its length and its own encoding, and unknown
   * fields last. So a configuration is its name (field 1), each virtual host (field 2), then its
   * other fields as the configuration without name and virtual hosts writes them; and a virtual
   * host is its name and domains (fields 1 and 2), each route (field 3), then its other fields.
   */
  static byte[] routeConfigBytes(RouteConfiguration rc) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(rc.getSerializedSize());
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.useDeterministicSerialization();
      RouteConfiguration.newBuilder().setName(rc.getName()).build().writeTo(out);
      for (VirtualHost vh : rc.getVirtualHostsList()) {
        out.writeTag(
            RouteConfiguration.VIRTUAL_HOSTS_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        // The sizes are remembered per instance by protobuf: an unchanged route's is not walked.
        out.writeUInt32NoTag(vh.getSerializedSize());
        VirtualHost.newBuilder()
            .setName(vh.getName())
            .addAllDomains(vh.getDomainsList())
            .build()
            .writeTo(out);
        for (Route r : vh.getRoutesList()) {
          byte[] b = ROUTES.getIfPresent(r);
          if (b == null) {
            b = deterministicBytes(r);
            ROUTES.put(r, b);
          }
          out.writeTag(VirtualHost.ROUTES_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
          out.writeUInt32NoTag(b.length);
          out.writeRawBytes(b);
        }
        vh.toBuilder().clearName().clearDomains().clearRoutes().build().writeTo(out);
      }
      rc.toBuilder().clearName().clearVirtualHosts().build().writeTo(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** SHA-256 (hex, first 16 bytes) of one message's deterministic encoding. */
  public static String hash(Message m) {
    return encoded(m).hash();
  }

  /**
   * The message packed in an {@code Any}, from the bytes its {@link #hash} was computed from (the
   * discovery server's serializer: a resource is encoded once for its version and its sending).
   */
  public static Any packed(Message m) {
    return encoded(m).any();
  }

  /** Serializes resources for the discovery server through {@link #packed}. */
  static final class PackedSerializer
      implements io.envoyproxy.controlplane.server.serializer.ProtoResourcesSerializer {
    @Override
    public Any serialize(
        Message message, io.envoyproxy.controlplane.cache.Resources.ApiVersion apiVersion) {
      return packed(message);
    }
  }

  /** The version of a list of messages: a hash over their own hashes, in order. */
  public static String listHash(List<? extends Message> messages) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Message m : messages) {
        md.update(hash(m).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        md.update((byte) '\n');
      }
      return HexFormat.of().formatHex(md.digest(), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** SHA-256 (hex, first 16 bytes) over messages' deterministic encodings, in order. */
  static String digest(List<? extends Message> messages) {
    return digestOf(messages.stream().map(Protos::deterministicBytes).toList());
  }

  private static String digestOf(List<byte[]> encodings) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (byte[] b : encodings) {
        md.update(
            new byte[] {
              (byte) (b.length >>> 24),
              (byte) (b.length >>> 16),
              (byte) (b.length >>> 8),
              (byte) b.length
            });
        md.update(b);
      }
      byte[] d = md.digest();
      return HexFormat.of().formatHex(d, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Prints a message as JSON with Envoy's snake_case field names and Any types resolved, the fields
   * newer than the generated protos ({@link NewerProtoFields}) included.
   */
  public static String json(Message m) {
    try {
      JsonFormat.TypeRegistry types = registry();
      String printed = print(m, types);
      var tree = io.eg4j.model.bus.Json.MAPPER.readTree(printed);
      return NewerProtoFields.render(m, tree, types)
          ? io.eg4j.model.bus.Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(tree)
          : printed;
    } catch (IOException e) {
      throw new IllegalStateException("cannot print " + m.getDescriptorForType().getFullName(), e);
    }
  }

  /** {@link #json} as a Jackson tree, for callers that go on editing it (parsed once). */
  public static com.fasterxml.jackson.databind.JsonNode jsonTree(Message m) {
    try {
      JsonFormat.TypeRegistry types = registry();
      var tree = io.eg4j.model.bus.Json.MAPPER.readTree(print(m, types));
      NewerProtoFields.render(m, tree, types);
      return tree;
    } catch (IOException e) {
      throw new IllegalStateException("cannot print " + m.getDescriptorForType().getFullName(), e);
    }
  }

  private static String print(Message m, JsonFormat.TypeRegistry types) throws IOException {
    return JsonFormat.printer().usingTypeRegistry(types).preservingProtoFieldNames().print(m);
  }

  /** Every message type eg4j packs into an {@code Any}, so JSON printing can expand them. */
  static final class TypeRegistryHolder {
    static JsonFormat.TypeRegistry.Builder base() {
      return JsonFormat.TypeRegistry.newBuilder()
          .add(
              io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3
                  .HttpConnectionManager.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.http.router.v3.Router.getDescriptor())
          .add(
              io.envoyproxy.envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig
                  .getDescriptor())
          .add(
              io.envoyproxy.envoy.extensions.filters.http.stateful_session.v3.StatefulSession
                  .getDescriptor())
          .add(
              io.envoyproxy.envoy.extensions.filters.http.stateful_session.v3
                  .StatefulSessionPerRoute.getDescriptor())
          .add(
              io.envoyproxy.envoy.extensions.http.stateful_session.cookie.v3.CookieBasedSessionState
                  .getDescriptor())
          .add(
              io.envoyproxy.envoy.extensions.http.stateful_session.header.v3.HeaderBasedSessionState
                  .getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.getDescriptor())
          .add(
              io.envoyproxy.envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig
                  .getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.udp.udp_proxy.v3.Route.getDescriptor())
          .add(
              io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector
                  .getDescriptor())
          .add(
              io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
                  .getDescriptor())
          .add(
              io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
                  .getDescriptor())
          .add(io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.getDescriptor())
          .add(io.envoyproxy.envoy.config.listener.v3.Listener.getDescriptor())
          .add(io.envoyproxy.envoy.config.route.v3.RouteConfiguration.getDescriptor())
          .add(io.envoyproxy.envoy.config.cluster.v3.Cluster.getDescriptor())
          .add(io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment.getDescriptor())
          .add(io.envoyproxy.envoy.admin.v3.ListenersConfigDump.getDescriptor())
          .add(io.envoyproxy.envoy.admin.v3.RoutesConfigDump.getDescriptor())
          .add(io.envoyproxy.envoy.admin.v3.ClustersConfigDump.getDescriptor())
          .add(io.envoyproxy.envoy.admin.v3.EndpointsConfigDump.getDescriptor())
          .add(io.envoyproxy.envoy.admin.v3.SecretsConfigDump.getDescriptor());
    }
  }
}
