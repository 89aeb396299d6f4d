package io.eg4j.xds.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eg4j.model.bus.ContentHash;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.core.XdsGoldenCases;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The reader reuses, per IR key, the route IRs of the key's last record whose bytes are the same:
 * what it reads is always what binding the record afresh gives; an unchanged route is the very
 * instance of the last read, a changed one a new instance; a record that cannot be read keeps what
 * was kept before it (and is still refused, so it goes to the dead-letter topic); a forgotten key
 * (its tombstone) starts afresh.
 */
class IrReuseTest {
  private final SecretBox box = new SecretBox("k1", new byte[32]);

  private byte[] record(XdsIr ir) {
    return SealedIrRecordTest.record(box, ir);
  }

  private byte[] record(byte[] plain) {
    return SealedIrRecordTest.record(box, plain);
  }

  private XdsIr read(IrReuse reuse, XdsIr ir) {
    XdsIrConsumer.Read read =
        XdsIrConsumer.read(Topics.XDS_IR, ir.key(), record(ir), Optional.of(box), reuse);
    XdsIr fresh = XdsIrConsumer.read(Topics.XDS_IR, ir.key(), record(ir), Optional.of(box)).ir();
    assertThat(read.ir()).isEqualTo(fresh).isEqualTo(ir);
    assertThat(read.hash()).isEqualTo(ContentHash.sha256(ContentHash.canonicalJson(ir)));
    return read.ir();
  }

  private static List<HttpRouteIr> routes(XdsIr ir) {
    return ir.http().stream().flatMap(l -> l.routes().stream()).toList();
  }

  /** The IR with the route at {@code index} of listener {@code listener} changed by {@code f}. */
  private static XdsIr withRoute(
      XdsIr ir, int listener, int index, java.util.function.UnaryOperator<HttpRouteIr> f) {
    List<HttpListenerIr> http = new ArrayList<>(ir.http());
    HttpListenerIr l = http.get(listener);
    List<HttpRouteIr> rs = new ArrayList<>(l.routes());
    rs.set(index, f.apply(rs.get(index)));
    http.set(listener, l.withRoutes(rs));
    return ir.withListeners(http, ir.tcp(), ir.udp());
  }

  @Test
  void everyGoldenIrReadThroughReuseIsWhatBindingGives() throws Exception {
    IrReuse reuse = new IrReuse();
    List<String> names = XdsGoldenCases.names();
    for (int i = 0; i < names.size(); i++) {
      // Each case follows another of the same key, and itself.
      for (String name : List.of(names.get(i), names.get((i + 1) % names.size()), names.get(i))) {
        read(reuse, XdsGoldenCases.read(name).withKey("shared"));
      }
    }
  }

  @Test
  void theSameRecordTwiceGivesTheSameRouteInstances() throws Exception {
    IrReuse reuse = new IrReuse();
    XdsIr ir = XdsGoldenCases.read("http-features");
    List<HttpRouteIr> first = routes(read(reuse, ir));
    List<HttpRouteIr> second = routes(read(reuse, ir));
    assertThat(first).hasSize(10);
    for (int i = 0; i < first.size(); i++) {
      assertThat(second.get(i)).isSameAs(first.get(i));
    }
    // Without reuse every read binds anew.
    XdsIr again = XdsIrConsumer.read(Topics.XDS_IR, ir.key(), record(ir), Optional.of(box)).ir();
    assertThat(routes(again).get(0)).isNotSameAs(first.get(0)).isEqualTo(first.get(0));
  }

  @Test
  void aChangedRouteIsANewInstanceAndTheOthersAreReused() throws Exception {
    IrReuse reuse = new IrReuse();
    XdsIr ir = XdsGoldenCases.read("http-features");
    List<HttpRouteIr> first = routes(read(reuse, ir));
    XdsIr changed = withRoute(ir, 0, 3, r -> r.withTimeout(new DurationIr(1234)));
    List<HttpRouteIr> second = routes(read(reuse, changed));
    for (int i = 0; i < first.size(); i++) {
      if (i == 3) {
        assertThat(second.get(i)).isNotSameAs(first.get(i)).isNotEqualTo(first.get(i));
      } else {
        assertThat(second.get(i)).as("route %d", i).isSameAs(first.get(i));
      }
    }
    // And back: the route as it was is bound again (only the last record's routes are kept).
    List<HttpRouteIr> third = routes(read(reuse, ir));
    assertThat(third.get(3)).isNotSameAs(first.get(3)).isEqualTo(first.get(3));
    assertThat(third.get(4)).isSameAs(first.get(4));
    assertThat(reuse.kept(ir.key())).hasSize(10);
  }

  @Test
  void aRouteMovedToAnotherListenerIsTheSameInstance() throws Exception {
    IrReuse reuse = new IrReuse();
    XdsIr ir = XdsGoldenCases.read("http-features");
    XdsIr read = read(reuse, ir);
    HttpRouteIr moved = read.http().get(0).routes().get(5);
    List<HttpRouteIr> from = new ArrayList<>(ir.http().get(0).routes());
    from.remove(5);
    List<HttpRouteIr> to = new ArrayList<>(ir.http().get(1).routes());
    to.add(0, moved);
    XdsIr after =
        ir.withListeners(
            List.of(ir.http().get(0).withRoutes(from), ir.http().get(1).withRoutes(to)),
            ir.tcp(),
            ir.udp());
    XdsIr second = read(reuse, after);
    assertThat(second.http().get(1).routes().get(0)).isSameAs(moved);
    assertThat(second.http().get(1).routes().get(1)).isSameAs(read.http().get(1).routes().get(0));
  }

  @Test
  void aRecordThatCannotBeReadIsRefusedAndKeepsWhatWasKept() throws Exception {
    IrReuse reuse = new IrReuse();
    XdsIr ir = XdsGoldenCases.read("http-features");
    List<HttpRouteIr> first = routes(read(reuse, ir));
    // A route that does not validate (no name): the whole record is refused, as without reuse.
    String json = new String(ContentHash.canonicalJson(ir), StandardCharsets.UTF_8);
    String name = first.get(2).name();
    String broken = json.replace("\"name\":\"" + name + "\"", "\"name\":\"\"");
    assertThat(broken).isNotEqualTo(json);
    byte[] bad = record(broken.getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> XdsIrConsumer.read(Topics.XDS_IR, ir.key(), bad, Optional.of(box)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> XdsIrConsumer.read(Topics.XDS_IR, ir.key(), bad, Optional.of(box), reuse))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not an xDS IR");
    // Syntax broken inside a route.
    byte[] garbled =
        record(
            json.replace("\"name\":\"" + name + "\"", "\"name\":")
                .getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(
            () -> XdsIrConsumer.read(Topics.XDS_IR, ir.key(), garbled, Optional.of(box), reuse))
        .hasMessageContaining("not an xDS IR");
    // A record of another key under this one.
    assertThatThrownBy(
            () ->
                XdsIrConsumer.read(Topics.XDS_IR, "other/key", record(ir), Optional.of(box), reuse))
        .hasMessageContaining("differs from IR key");
    assertThat(reuse.kept("other/key")).isEmpty();
    // The next good record reuses the routes of the last good one.
    List<HttpRouteIr> next = routes(read(reuse, ir));
    for (int i = 0; i < first.size(); i++) {
      assertThat(next.get(i)).isSameAs(first.get(i));
    }
  }

  @Test
  void aForgottenKeyStartsAfreshAndKeysAreKeptApart() throws Exception {
    IrReuse reuse = new IrReuse();
    XdsIr ir = XdsGoldenCases.read("http-features");
    XdsIr other = ir.withKey("ns/other");
    List<HttpRouteIr> first = routes(read(reuse, ir));
    List<HttpRouteIr> ofOther = routes(read(reuse, other));
    assertThat(ofOther.get(0)).isNotSameAs(first.get(0));
    reuse.forget(ir.key());
    assertThat(reuse.kept(ir.key())).isEmpty();
    assertThat(routes(read(reuse, ir)).get(0)).isNotSameAs(first.get(0));
    assertThat(routes(read(reuse, other)).get(0)).isSameAs(ofOther.get(0));
  }
}
