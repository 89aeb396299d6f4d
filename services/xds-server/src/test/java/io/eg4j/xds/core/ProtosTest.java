package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.testing.Ir;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A resource is encoded once: for its content hash, and the same bytes for its sending. */
class ProtosTest {
  private static RouteConfiguration routes() {
    XdsIr ir =
        new XdsIr(
            "default/eg",
            List.of(
                new HttpListenerIr(
                    "default/eg/http",
                    null,
                    10080,
                    80,
                    List.of("*"),
                    null,
                    List.of(Ir.route("r").prefix("/").to(Ir.dest("a", "HTTP", 1)).build()),
                    null)),
            List.of(),
            List.of(),
            List.of());
    return new XdsTranslator().translate(ir).routes().get(0);
  }

  @Test
  void theDiscoveryServerSendsTheBytesTheVersionWasComputedFrom() throws Exception {
    RouteConfiguration rc = routes();
    String hash = Protos.hash(rc);
    Any sent = new Protos.PackedSerializer().serialize(rc, Resources.ApiVersion.V3);

    assertThat(sent.getTypeUrl())
        .isEqualTo("type.googleapis.com/envoy.config.route.v3.RouteConfiguration");
    assertThat(sent.getValue().toByteArray()).isEqualTo(Protos.deterministicBytes(rc));
    assertThat(sent.unpack(RouteConfiguration.class)).isEqualTo(rc);
    // The same instance every time: nothing is serialized again, for any number of streams.
    assertThat(new Protos.PackedSerializer().serialize(rc, Resources.ApiVersion.V3)).isSameAs(sent);
    assertThat(Protos.packed(rc)).isSameAs(sent);
    // And the hash is the one over those bytes.
    assertThat(hash).isEqualTo(Protos.digest(List.of(rc)));
  }

  @Test
  void equalMessagesHaveEqualHashesAndEncodings() {
    RouteConfiguration a = routes();
    RouteConfiguration b = routes();
    assertThat(Protos.hash(b)).isEqualTo(Protos.hash(a));
    assertThat(Protos.packed(b)).isEqualTo(Protos.packed(a));
  }

  @Test
  void aRouteConfigurationIsEncodedFromItsRoutesByteForByte() throws Exception {
    int configs = 0;
    for (String name : XdsGoldenCases.names()) {
      for (RouteConfiguration rc :
          new XdsTranslator().translate(XdsGoldenCases.read(name)).routes()) {
        configs++;
        byte[] whole = Protos.deterministicBytes(rc);
        assertThat(Protos.routeConfigBytes(rc)).as(name).isEqualTo(whole);
        // Again, from the routes' remembered encodings.
        assertThat(Protos.routeConfigBytes(rc)).as(name).isEqualTo(whole);
        assertThat(Protos.packed(rc).getValue().toByteArray()).as(name).isEqualTo(whole);
        assertThat(Protos.hash(rc)).as(name).isEqualTo(Protos.digest(List.of(rc)));
      }
    }
    assertThat(configs).isGreaterThan(10);
  }

  @Test
  void anUnchangedVirtualHostIsTheSameInstanceAndTheChangedConfigurationEncodesAsAWhole()
      throws Exception {
    RouteXdsTranslator t = new RouteXdsTranslator();
    XdsIr ir = XdsGoldenCases.read("http-features");
    List<RouteConfiguration> first = t.translate(ir);
    var http = new java.util.ArrayList<>(ir.http());
    HttpListenerIr l = http.get(0);
    var rs = new java.util.ArrayList<>(l.routes());
    rs.set(0, rs.get(0).withTimeout(new io.eg4j.model.ir.DurationIr(4321)));
    http.set(0, l.withRoutes(rs));
    XdsIr changed = ir.withListeners(http, ir.tcp(), ir.udp());
    first.forEach(Protos::hash);
    List<RouteConfiguration> second = t.translate(changed);
    assertThat(second).isEqualTo(new XdsTranslator().translate(changed).routes());
    int same = 0;
    int vhosts = 0;
    for (int i = 0; i < second.size(); i++) {
      RouteConfiguration rc = second.get(i);
      assertThat(Protos.packed(rc).getValue().toByteArray())
          .isEqualTo(Protos.deterministicBytes(rc));
      assertThat(Protos.hash(rc)).isEqualTo(Protos.digest(List.of(rc)));
      for (int v = 0; v < rc.getVirtualHostsCount(); v++) {
        vhosts++;
        var before = first.get(i).getVirtualHosts(v);
        var now = rc.getVirtualHosts(v);
        if (before == now) {
          same++;
        } else {
          assertThat(now).isNotEqualTo(before);
        }
      }
    }
    // One virtual host holds the changed route; the others are the first translation's.
    assertThat(same).isEqualTo(vhosts - 1);
  }
}
