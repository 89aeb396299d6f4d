package io.eg4j.translator.core.policy.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr.CidrIr;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr.CostIr;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr.HeaderMatchIr;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr.PathMatchIr;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr.RuleIr;
import io.eg4j.translator.core.policy.FieldSupport;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code spec.rateLimit.global}: rules counted by the global rate limit service, which the
 * EnvoyGateway configuration's {@code rateLimit} enables. Each rule's client selectors (headers,
 * methods, path, query parameters, client address range, inverted or not) become the descriptor
 * Envoy sends; its limit, shadow mode and sharing go to the service's configuration; its costs to
 * what each request and response adds. Without {@code rateLimit} in the EnvoyGateway configuration
 * there is no service to ask, so a policy with a global limit is not applied.
 */
final class GlobalRateLimitTranslator {
  private GlobalRateLimitTranslator() {}

  private static final String R = "rateLimit.global.rules[].";
  private static final String S = R + "clientSelectors[].";

  static final List<String> SUPPORTED =
      List.of(
          R + "limit.requests",
          R + "limit.unit",
          R + "limit.fromMetadata.namespace",
          R + "limit.fromMetadata.key",
          R + "shadowMode",
          R + "shared",
          R + "xRateLimitHeaders",
          R + "cost.request.from",
          R + "cost.request.number",
          R + "cost.request.metadata.namespace",
          R + "cost.request.metadata.key",
          R + "cost.response.from",
          R + "cost.response.number",
          R + "cost.response.metadata.namespace",
          R + "cost.response.metadata.key",
          S + "headers[].name",
          S + "headers[].type",
          S + "headers[].value",
          S + "headers[].invert",
          S + "methods[].value",
          S + "methods[].invert",
          S + "path.type",
          S + "path.value",
          S + "path.invert",
          S + "queryParams[].name",
          S + "queryParams[].type",
          S + "queryParams[].value",
          S + "queryParams[].invert",
          S + "sourceCIDR.type",
          S + "sourceCIDR.value",
          S + "sourceCIDR.invert");

  /** The units the rate limit service counts in (its configuration's {@code unit}). */
  private static final Set<String> UNITS =
      Set.of("Second", "Minute", "Hour", "Day", "Week", "Month", "Year");

  /**
   * Null when the policy sets no global limit.
   *
   * @param spec the policy spec
   * @param namespace the policy's namespace
   * @param name the policy's name
   * @param config the EnvoyGateway configuration, or null when unknown
   */
  static GlobalRateLimitIr translate(
      JsonNode spec, String namespace, String name, EnvoyGatewayConfig config)
      throws PolicyException {
    return translate(spec, namespace, name, config, null);
  }

  /**
   * As {@link #translate(JsonNode, String, String, EnvoyGatewayConfig)}, the proxies calling the
   * service over mutual TLS with the client certificate {@code env} gives ({@link
   * io.eg4j.translator.core.policy.PolicyEnv#proxyClientCertificate}) when there is one, as Envoy
   * Gateway always does; else with the files of {@code x-eg4j.rateLimitTls}; else, when the
   * controller's {@code envoy} Secret exists but is not a valid pair, over TLS without a client
   * certificate; else in plaintext.
   */
  static GlobalRateLimitIr translate(
      JsonNode spec,
      String namespace,
      String name,
      EnvoyGatewayConfig config,
      io.eg4j.translator.core.policy.PolicyEnv env)
      throws PolicyException {
    JsonNode rl = spec.path("rateLimit");
    if (!rl.isObject()) {
      return null;
    }
    String type = rl.path("type").asText("");
    if (!rl.has("global")) {
      if (type.equals("Global")) {
        throw new PolicyException("spec.rateLimit.global: must be set when type is Global");
      }
      return null;
    }
    String address = config == null ? null : config.rateLimitService();
    if (address == null) {
      throw new PolicyException(
          "spec.rateLimit.global: a global rate limit needs the rate limit service, which is not"
              + " configured (enable rateLimit in the EnvoyGateway configuration)");
    }
    int colon = address.lastIndexOf(':');
    String host = address.substring(0, colon);
    int port = Integer.parseInt(address.substring(colon + 1));
    List<RuleIr> rules = new ArrayList<>();
    JsonNode list = rl.path("global").path("rules");
    for (int i = 0; i < list.size(); i++) {
      rules.add(rule(list.get(i), "spec.rateLimit.global.rules[" + i + "]"));
    }
    if (rules.isEmpty()) {
      throw new PolicyException("spec.rateLimit.global.rules: at least one rule is required");
    }
    return new GlobalRateLimitIr(
        null,
        namespace,
        name,
        rules,
        new GlobalRateLimitIr.ServiceIr(
            host,
            port,
            config.rateLimit().failClosed(),
            config.rateLimit().timeoutMillis(),
            tls(config.rateLimit().serviceTls(), env)),
        false);
  }

  private static GlobalRateLimitIr.TlsFilesIr tls(
      EnvoyGatewayConfig.ServiceTls t, io.eg4j.translator.core.policy.PolicyEnv env) {
    io.eg4j.model.ir.TlsIr.CertificateIr own = env == null ? null : env.proxyClientCertificate();
    if (own != null) {
      // The CA is the control plane's, where the proxies hold it.
      return new GlobalRateLimitIr.TlsFilesIr(env.proxyCaFile(), null, null, own);
    }
    if (t != null) {
      return new GlobalRateLimitIr.TlsFilesIr(t.caFile(), t.certFile(), t.keyFile());
    }
    String problem = env == null ? null : env.proxyCertificateProblem();
    if (problem != null) {
      // The controller has a proxy certificate, but a broken one: TLS all the same, with no
      // client certificate (a service that requires one refuses the handshake), never plaintext.
      if (LOGGED.add(problem)) {
        LOG.warn(
            "the proxies call the rate limit service over TLS without a client certificate: {}",
            problem);
      }
      return new GlobalRateLimitIr.TlsFilesIr(env.proxyCaFile(), null, null);
    }
    return null;
  }

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(GlobalRateLimitTranslator.class);

  /** Problems already logged: once each, not on every translation. */
  private static final java.util.Set<String> LOGGED =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private static PolicyException notEnforced(String what) {
    return new PolicyException(FieldSupport.message(List.of(what)));
  }

  private static RuleIr rule(JsonNode rule, String where) throws PolicyException {
    JsonNode limit = rule.path("limit");
    String unit = limit.path("unit").asText("");
    if (!UNITS.contains(unit)) {
      throw new PolicyException(where + ".limit.unit: unknown unit " + unit);
    }
    long requests = limit.path("requests").asLong(0);
    if (requests < 0 || requests > 0xFFFFFFFFL) {
      throw new PolicyException(where + ".limit.requests: out of range");
    }
    List<HeaderMatchIr> headers = new ArrayList<>();
    List<HeaderMatchIr> queryParams = new ArrayList<>();
    List<String> methods = new ArrayList<>();
    Boolean methodsInvert = null;
    PathMatchIr path = null;
    CidrIr cidr = null;
    for (JsonNode sel : rule.path("clientSelectors")) {
      String sw = where + ".clientSelectors";
      for (JsonNode h : sel.path("headers")) {
        headers.add(valueMatch(h, sw + ".headers"));
      }
      for (JsonNode q : sel.path("queryParams")) {
        queryParams.add(valueMatch(q, sw + ".queryParams"));
      }
      for (JsonNode m : sel.path("methods")) {
        boolean invert = m.path("invert").asBoolean(false);
        if (methodsInvert != null && methodsInvert != invert) {
          throw notEnforced(sw + ".methods: inverted and plain methods in one rule");
        }
        methodsInvert = invert;
        methods.add(m.path("value").asText());
      }
      JsonNode p = sel.path("path");
      if (p.isObject()) {
        if (path != null) {
          throw notEnforced(sw + ".path: more than one path in one rule");
        }
        String t = p.path("type").asText("PathPrefix");
        if (!Set.of("Exact", "PathPrefix", "RegularExpression").contains(t)) {
          throw new PolicyException(sw + ".path.type: unknown type " + t);
        }
        path =
            new PathMatchIr(
                t, regexChecked(t, p.path("value").asText("/"), sw), p.path("invert").asBoolean());
      }
      JsonNode c = sel.path("sourceCIDR");
      if (c.isObject()) {
        if (cidr != null) {
          throw notEnforced(sw + ".sourceCIDR: more than one range in one rule");
        }
        cidr = cidr(c, sw + ".sourceCIDR");
      }
    }
    JsonNode fromMetadata = limit.path("fromMetadata");
    CostIr limitOverride = null;
    if (fromMetadata.isObject()) {
      limitOverride =
          new CostIr(
              null, fromMetadata.path("namespace").asText(""), fromMetadata.path("key").asText(""));
    }
    String headersMode = rule.path("xRateLimitHeaders").asText(null);
    if (headersMode != null
        && !headersMode.equals("Off")
        && !headersMode.equals("DraftVersion03")) {
      throw new PolicyException(where + ".xRateLimitHeaders: unknown value " + headersMode);
    }
    return new RuleIr(
        headers,
        methods,
        Boolean.TRUE.equals(methodsInvert),
        path,
        cidr,
        requests,
        unit,
        rule.path("shadowMode").asBoolean(false),
        rule.path("shared").asBoolean(false),
        cost(rule.path("cost").path("request"), where + ".cost.request"),
        cost(rule.path("cost").path("response"), where + ".cost.response"),
        limitOverride,
        headersMode,
        queryParams);
  }

  /** A header or query parameter selector: its value exactly, a regular expression or Distinct. */
  private static HeaderMatchIr valueMatch(JsonNode h, String sw) throws PolicyException {
    String t = h.path("type").asText("Exact");
    boolean invert = h.path("invert").asBoolean(false);
    String hname = h.path("name").asText("");
    if (hname.isEmpty()) {
      throw new PolicyException(sw + ".name: must be set");
    }
    return switch (t) {
      case "Distinct" -> {
        if (invert) {
          throw new PolicyException(
              sw + ": invert is not allowed with type Distinct (" + hname + ")");
        }
        yield new HeaderMatchIr(hname, t, null, false);
      }
      case "Exact", "RegularExpression" -> {
        if (!h.has("value")) {
          throw new PolicyException(sw + ".value: must be set for " + hname);
        }
        yield new HeaderMatchIr(hname, t, regexChecked(t, h.path("value").asText(""), sw), invert);
      }
      default -> throw notEnforced(sw + ".type " + t);
    };
  }

  private static CidrIr cidr(JsonNode c, String where) throws PolicyException {
    String t = c.path("type").asText("Exact");
    if (!t.equals("Exact") && !t.equals("Distinct")) {
      throw new PolicyException(where + ".type: unknown type " + t);
    }
    String v = c.path("value").asText("");
    int slash = v.indexOf('/');
    if (slash < 0) {
      throw new PolicyException(where + ": invalid CIDR " + v);
    }
    String addr = v.substring(0, slash);
    int len;
    try {
      len = Integer.parseInt(v.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new PolicyException(where + ": invalid CIDR " + v);
    }
    boolean v6 = addr.contains(":");
    if (!(v6 ? addr.matches("[0-9a-fA-F:]+") : addr.matches("\\d{1,3}(\\.\\d{1,3}){3}"))
        || len < 0
        || len > (v6 ? 128 : 32)) {
      throw new PolicyException(where + ": invalid CIDR " + v);
    }
    return new CidrIr(addr, len, t.equals("Distinct"), c.path("invert").asBoolean(false));
  }

  private static CostIr cost(JsonNode c, String where) throws PolicyException {
    if (!c.isObject()) {
      return null;
    }
    String from = c.path("from").asText("");
    return switch (from) {
      case "Number" -> {
        long n = c.path("number").asLong(-1);
        if (n < 0) {
          throw new PolicyException(where + ".number: must be set when from is Number");
        }
        yield new CostIr(n, null, null);
      }
      case "Metadata" -> {
        JsonNode m = c.path("metadata");
        if (m.path("namespace").asText("").isEmpty() || m.path("key").asText("").isEmpty()) {
          throw new PolicyException(
              where + ".metadata: namespace and key must be set when from is Metadata");
        }
        yield new CostIr(null, m.path("namespace").asText(), m.path("key").asText());
      }
      default -> throw new PolicyException(where + ".from: unknown value " + from);
    };
  }

  private static String regexChecked(String type, String value, String where)
      throws PolicyException {
    if (type.equals("RegularExpression")) {
      try {
        Pattern.compile(value);
      } catch (PatternSyntaxException e) {
        throw new PolicyException(where + ": invalid regular expression " + value);
      }
    }
    return value;
  }
}
