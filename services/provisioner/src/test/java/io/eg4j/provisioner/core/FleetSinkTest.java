package io.eg4j.provisioner.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.InfraIr;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class FleetSinkTest {
  @Test
  void theDefaultReconcileAppliesEveryFleetEvenWhenOneFails() {
    List<String> applied = new CopyOnWriteArrayList<>();
    FleetSink sink =
        new FleetSink() {
          @Override
          public void apply(InfraIr ir) {
            if (ir.name().equals("ns/bad")) {
              throw new IllegalStateException("cannot start envoy");
            }
            applied.add(ir.name());
          }

          @Override
          public void remove(String fleet) {}
        };
    Map<String, InfraIr> fleets = new TreeMap<>();
    for (String n : List.of("ns/a", "ns/bad", "ns/c")) {
      fleets.put(
          n, new InfraIr(n, "ns", "ns", n.substring(3), List.of(), Map.of(), Map.of(), null));
    }
    sink.reconcile(fleets);
    assertThat(applied).containsExactly("ns/a", "ns/c");
  }
}
