package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.XdsIr;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class XdsSnapshotsTest {
  static void awaitSettled(XdsSnapshots s, String key) throws InterruptedException {
    for (int i = 0; i < 500 && !s.settled(key); i++) {
      Thread.sleep(10);
    }
    assertThat(s.settled(key)).isTrue();
  }

  @Test
  void firstUpdateIsServedAtOnceAndAnUnchangedIrPushesNothing() throws Exception {
    List<String> pushes = new ArrayList<>();
    XdsEvents events =
        new XdsEvents() {
          @Override
          public void pushed(String irKey, String version) {
            pushes.add(irKey + "@" + version);
          }
        };
    try (XdsSnapshots s = new XdsSnapshots(events, Duration.ofSeconds(1))) {
      XdsIr ir = XdsGoldenCases.read("http-features");
      assertThat(s.update(ir)).isTrue();
      awaitSettled(s, ir.key());
      Snapshot snap = s.cache().getSnapshot(ir.key());
      assertThat(snap).isNotNull();
      assertThat(snap.listeners().resources()).containsKey("default/eg/http");
      assertThat(snap.clusters().resources()).hasSize(10);
      assertThat(pushes).hasSize(1);
      assertThat(s.update(XdsGoldenCases.read("http-features"))).isFalse();
      assertThat(pushes).hasSize(1);
    }
  }

  @Test
  void twoReplicasAgreeOnVersions() throws Exception {
    try (XdsSnapshots a = new XdsSnapshots(XdsEvents.NONE, Duration.ofSeconds(1));
        XdsSnapshots b = new XdsSnapshots(XdsEvents.NONE, Duration.ofSeconds(1))) {
      a.update(XdsGoldenCases.read("tls-tcp-udp"));
      b.update(XdsGoldenCases.read("tls-tcp-udp"));
      awaitSettled(a, "default/tls");
      awaitSettled(b, "default/tls");
      Snapshot sa = a.cache().getSnapshot("default/tls");
      Snapshot sb = b.cache().getSnapshot("default/tls");
      assertThat(sa.clusters().version()).isEqualTo(sb.clusters().version());
      assertThat(sa.routes().version()).isEqualTo(sb.routes().version());
      assertThat(sa.listeners().version()).isEqualTo(sb.listeners().version());
      assertThat(a.desiredVersion("default/tls")).isEqualTo(b.desiredVersion("default/tls"));
    }
  }
}
