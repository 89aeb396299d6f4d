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
}
