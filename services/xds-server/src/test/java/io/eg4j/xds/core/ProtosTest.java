package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A resource is encoded once: for its content hash, and the same bytes for its sending. */
class ProtosTest {
  private static RouteConfiguration routes() {
    return new XdsTranslator().translate(MakeBeforeBreakTest.irTo("a", 1, "/")).routes().get(0);
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
