package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import java.util.ArrayList;
import java.util.List;

/** Backend resolution shared by TLSRoute, TCPRoute and UDPRoute: all rules, all backendRefs. */
final class L4Backends {
  /** Valid settings plus the errors that make ResolvedRefs False. */
  record Resolved(List<DestinationSettingIr> settings, RouteErrors errors) {
    RouteDestinationIr destination(String name) {
      return new RouteDestinationIr(name, settings);
    }
  }

  private L4Backends() {}

  static Resolved resolve(
      BackendRefProcessor backends,
      RouteContext route,
      RouteContext.Parent parent,
      List<JsonNode> rules) {
    String destName = route.irPrefix();
    List<DestinationSettingIr> settings = new ArrayList<>();
    RouteErrors errors = new RouteErrors();
    int i = 0;
    for (JsonNode rule : rules) {
      for (JsonNode ref : Nodes.list(rule, "backendRefs")) {
        BackendRefProcessor.Result r =
            backends.resolve(destName + "/backend/" + i++, ref, route, parent);
        if (!r.valid()) {
          if (!r.error().type().equals("BackendsAvailable")) {
            errors.add(
                new RouteErrors.RouteError(
                    "ResolvedRefs", r.error().reason(), r.error().message()));
          }
          continue;
        }
        if (r.setting() != null && r.weight() > 0) {
          settings.add(r.setting());
        }
      }
    }
    if (i > 1 && settings.stream().anyMatch(L4Backends::dynamic)) {
      errors.add(
          RouteErrors.RouteError.resolvedRefs(
              "InvalidBackendRef", "dynamic resolver is not supported for multiple backendRefs"));
      // Fail closed: the route keeps its listener but reaches no backend.
      settings.clear();
    }
    return new Resolved(settings, errors);
  }

  static boolean dynamic(DestinationSettingIr s) {
    return s.dynamicResolver();
  }

  /** Sets ResolvedRefs on the parent from the errors. */
  static void setResolvedRefs(RouteContext.Parent parent, RouteErrors errors) {
    if (errors.isEmpty()) {
      parent
          .conditions()
          .set(
              Condition.isTrue(
                  "ResolvedRefs",
                  "ResolvedRefs",
                  "Resolved all the Object references for the Route"));
    } else {
      parent
          .conditions()
          .set(
              Condition.isFalse(
                  "ResolvedRefs", errors.reason("ResolvedRefs"), errors.message("ResolvedRefs")));
    }
  }
}
