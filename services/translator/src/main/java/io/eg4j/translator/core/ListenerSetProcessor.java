package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * ListenerSets (GEP-1713): attaches them to their parent Gateway when the Gateway's {@code
 * allowedListeners} admits their namespace, detects conflicts with the parent's listeners and with
 * other ListenerSets (the Gateway wins, then the older ListenerSet), and computes their status.
 */
final class ListenerSetProcessor {
  private final TranslationContext ctx;

  ListenerSetProcessor(TranslationContext ctx) {
    this.ctx = ctx;
  }

  /** Attaches ListenerSets to the accepted Gateways, after the Gateways' own listeners. */
  void attach(List<GatewayContext> gateways) {
    for (ObjectNode ls : ctx.listenerSets) {
      JsonNode ref = Nodes.obj(Nodes.spec(ls), "parentRef");
      String group = Nodes.text(ref, "group", TranslationContext.GATEWAY_GROUP);
      String kind = Nodes.text(ref, "kind", "Gateway");
      String ns = Nodes.text(ref, "namespace", Nodes.namespace(ls));
      String name = Nodes.text(ref, "name", "");
      if (!group.equals(TranslationContext.GATEWAY_GROUP) || !kind.equals("Gateway")) {
        continue;
      }
      GatewayContext parent = null;
      for (GatewayContext g : gateways) {
        if (g.namespace.equals(ns) && g.name.equals(name)) {
          parent = g;
        }
      }
      if (parent == null) {
        continue;
      }
      StatusCollector.Entry status = ctx.statuses.entry(ls).withConditions();
      if (!allowed(parent, Nodes.namespace(ls))) {
        String msg = "ListenerSet is not allowed to attach to the Gateway";
        status.conditions.set(Condition.isFalse("Accepted", "NotAllowed", msg));
        status.conditions.set(Condition.isFalse("Programmed", "NotAllowed", msg));
        continue;
      }
      ListenerSetContext lsc = new ListenerSetContext(ls, status, parent);
      status.withListeners();
      for (JsonNode spec : Nodes.list(Nodes.spec(ls), "listeners")) {
        String lname = Nodes.text(spec, "name", "");
        ListenerContext l =
            new ListenerContext(parent, lsc, spec, StatusCollector.listener(status, lname));
        lsc.listeners.add(l);
        parent.listeners.add(l);
      }
      parent.listenerSets.add(lsc);
    }
  }

  private boolean allowed(GatewayContext g, String lsNamespace) {
    JsonNode namespaces = Nodes.obj(Nodes.obj(g.spec(), "allowedListeners"), "namespaces");
    String from = Nodes.text(namespaces, "from", "None");
    switch (from) {
      case "All":
        return true;
      case "Same":
        return g.namespace.equals(lsNamespace);
      case "Selector":
        ObjectNode ns = ctx.namespace(lsNamespace);
        if (ns == null) {
          return false;
        }
        try {
          return LabelSelector.parse(Nodes.obj(namespaces, "selector"))
              .matches(Nodes.map(Nodes.obj(ns, "metadata"), "labels"));
        } catch (IllegalArgumentException e) {
          return false;
        }
      default:
        return false;
    }
  }

  private static String family(String protocol) {
    return switch (protocol) {
      case "HTTPS", "TLS" -> "https/tls";
      default -> protocol;
    };
  }

  /**
   * Marks ListenerSet listeners that clash with a listener of higher precedence (the Gateway's own,
   * then older ListenerSets') or with a sibling in the same ListenerSet. A port belongs to the
   * protocol family of the first non-conflicted listeners on it; a listener that lost the port on
   * protocol is left out of hostname checks.
   */
  static void detectConflicts(GatewayContext g) {
    List<ListenerContext> all = g.listeners;
    for (ListenerContext l : all) {
      if (l.listenerSet == null || l.port == null || unsupported(l)) {
        continue;
      }
      List<ListenerContext> higher = new java.util.ArrayList<>();
      List<ListenerContext> siblings = new java.util.ArrayList<>();
      for (ListenerContext o : all) {
        if (o == l || o.port == null || !o.port.equals(l.port) || unsupported(o)) {
          continue;
        }
        if (o.listenerSet == l.listenerSet) {
          siblings.add(o);
        } else if (o.listenerSet == null || precedes(g, o.listenerSet, l.listenerSet)) {
          if (!isProtocolConflicted(o)) {
            higher.add(o);
          }
        }
      }
      String reason = null;
      if (!higher.isEmpty()) {
        for (ListenerContext o : higher) {
          if (!family(o.protocol).equals(family(l.protocol))) {
            reason = "ProtocolConflict";
          }
        }
      } else {
        for (ListenerContext o : siblings) {
          if (!family(o.protocol).equals(family(l.protocol))) {
            reason = "ProtocolConflict";
          }
        }
      }
      if (reason == null) {
        for (ListenerContext o : higher) {
          if (java.util.Objects.equals(o.hostname, l.hostname)) {
            reason = "HostnameConflict";
          }
        }
        for (ListenerContext o : siblings) {
          if (!isProtocolConflicted(o)
              && family(o.protocol).equals(family(l.protocol))
              && java.util.Objects.equals(o.hostname, l.hostname)) {
            reason = "HostnameConflict";
          }
        }
      }
      if (reason != null) {
        String msg =
            reason.equals("ProtocolConflict")
                ? "All listeners for a given port must use a compatible protocol"
                : "All listeners for a given port must use a unique hostname";
        l.status.conditions.set(Condition.isFalse("Accepted", reason, msg));
        l.status.conditions.set(Condition.isTrue("Conflicted", reason, msg));
        l.status.conditions.set(Condition.isFalse("Programmed", reason, msg));
      }
    }
  }

  private static boolean unsupported(ListenerContext l) {
    Condition c = l.status.conditions.get("Accepted");
    return c != null && c.reason().equals("UnsupportedProtocol");
  }

  private static boolean isProtocolConflicted(ListenerContext l) {
    Condition c = l.status.conditions.get("Conflicted");
    return c != null && c.status().equals("True") && c.reason().equals("ProtocolConflict");
  }

  private static boolean precedes(GatewayContext g, ListenerSetContext a, ListenerSetContext b) {
    return g.listenerSets.indexOf(a) < g.listenerSets.indexOf(b) && a != b;
  }

  /** Summary conditions for an invalid ListenerSet listener. */
  static void finalizeInvalid(ListenerContext l) {
    Conditions c = l.status.conditions;
    c.setIfAbsent(
        Condition.isFalse(
            "Programmed",
            "ListenersNotValid",
            "Listener is invalid, see other Conditions for details."));
    c.setIfAbsent(
        Condition.isTrue("ResolvedRefs", "ResolvedRefs", "Listener references have been resolved"));
  }

  /** Adds the NoConflicts condition to valid ListenerSet listeners. */
  static void markValid(ListenerContext l) {
    l.status.conditions.setIfAbsent(
        Condition.isFalse("Conflicted", "NoConflicts", "No conflicts detected"));
  }

  /**
   * Computes ListenerSet top-level conditions: Accepted reflects the listeners' Accepted
   * conditions, Programmed whether any listener is programmed.
   */
  void status(List<GatewayContext> gateways) {
    for (GatewayContext g : gateways) {
      for (ListenerSetContext ls : g.listenerSets) {
        int accepted = 0;
        int programmed = 0;
        for (ListenerContext l : ls.listeners) {
          if (l.status.conditions.has("Accepted", "True")) {
            accepted++;
          }
          if (l.ready) {
            programmed++;
          }
        }
        int n = ls.listeners.size();
        Conditions c = ls.status.conditions;
        if (accepted > 0 || n == 0) {
          // Gateway API: the Gateway counts the ListenerSets attached to it (Accepted=True).
          g.status.attachedListenerSets++;
        }
        if (accepted == n) {
          c.set(Condition.isTrue("Accepted", "Accepted", "ListenerSet accepted"));
        } else if (accepted == 0) {
          c.set(Condition.isFalse("Accepted", "ListenersNotValid", "No listener is valid"));
        } else {
          c.set(Condition.isTrue("Accepted", "ListenersNotValid", "Some listeners are invalid"));
        }
        if (programmed > 0 || n == 0) {
          c.set(Condition.isTrue("Programmed", "Programmed", "ListenerSet programmed"));
        } else {
          c.set(Condition.isFalse("Programmed", "ListenersNotValid", "No listener is programmed"));
        }
      }
    }
  }
}
