package io.eg4j.xds.core.filters;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr;
import io.eg4j.model.ir.traffic.LocalRateLimitIr;
import io.eg4j.model.ir.traffic.LocalRateLimitIr.MatchIr;
import io.eg4j.model.ir.traffic.LocalRateLimitIr.RuleIr;
import io.eg4j.model.ir.traffic.LocalRateLimitIr.TokenBucketIr;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Local rate limit descriptors: an Exact selector is a fixed descriptor entry, a Distinct one an
 * entry without a value (Envoy keeps a bucket per value it sees), and the actions build exactly the
 * entries the descriptor lists, in the same order, or the rule never matches.
 */
class LocalRateLimitFilterXdsTest {
  private static JsonNode config(MatchIr... matches) {
    return LocalRateLimitFilterXds.config(
        new LocalRateLimitIr(
            null,
            List.of(new RuleIr(List.of(matches), new TokenBucketIr(1, 60), false)),
            true,
            false));
  }

  @Test
  void distinctQueryParameterIsAWildcardEntryFilledFromTheParameter() {
    JsonNode c = config(new MatchIr("QueryParam", "key", "Distinct", null, false));
    JsonNode entry = c.path("descriptors").get(0).path("entries").get(0);
    assertThat(entry.path("key").asText()).isEqualTo("rule-0-match-0");
    assertThat(entry.has("value")).isFalse();
    JsonNode action = c.path("rate_limits").get(0).path("actions").get(0);
    assertThat(action.path("query_parameters").path("query_parameter_name").asText())
        .isEqualTo("key");
    assertThat(action.path("query_parameters").path("descriptor_key").asText())
        .isEqualTo("rule-0-match-0");
    assertThat(c.path("max_dynamic_descriptors").asInt())
        .isEqualTo(LocalRateLimitFilterXds.MAX_DYNAMIC_DESCRIPTORS);
  }

  @Test
  void aRequestCostIsTheRuleEntrysHitsAddend() {
    MatchIr m = new MatchIr("Header", "x-plan", "Exact", "heavy", false);
    JsonNode c =
        LocalRateLimitFilterXds.config(
            new LocalRateLimitIr(
                null,
                List.of(
                    new RuleIr(
                        List.of(m),
                        new TokenBucketIr(6, 60),
                        false,
                        new GlobalRateLimitIr.CostIr(3L, null, null)),
                    new RuleIr(
                        List.of(m),
                        new TokenBucketIr(6, 60),
                        false,
                        new GlobalRateLimitIr.CostIr(null, "a.io", "cost")),
                    new RuleIr(List.of(m), new TokenBucketIr(6, 60), false)),
                true,
                false));
    JsonNode rl = c.path("rate_limits");
    assertThat(rl.get(0).path("hits_addend").path("number").asLong()).isEqualTo(3);
    assertThat(rl.get(1).path("hits_addend").path("format").asText())
        .isEqualTo("%DYNAMIC_METADATA(a.io:cost)%");
    assertThat(rl.get(2).has("hits_addend")).isFalse();
  }

  @Test
  void sharedRulesStartWithThePolicyFromTheRouteMetadata() {
    MatchIr m = new MatchIr("Header", "x-plan", "Exact", "heavy", false);
    LocalRateLimitIr rl =
        new LocalRateLimitIr(
            null,
            List.of(
                new RuleIr(List.of(m), new TokenBucketIr(6, 60), false, null, false),
                new RuleIr(List.of(), new TokenBucketIr(3, 60), false, null, true)),
            true,
            false);
    // The route's own config keeps only its own rule.
    JsonNode own = LocalRateLimitFilterXds.config(rl);
    assertThat(own.path("descriptors")).hasSize(1);
    JsonNode shared = LocalRateLimitFilterXds.sharedConfig("backendtrafficpolicy/default/p", rl);
    assertThat(shared.path("descriptors")).hasSize(1);
    JsonNode entries = shared.path("descriptors").get(0).path("entries");
    assertThat(entries.get(0).path("key").asText()).isEqualTo("policy");
    assertThat(entries.get(0).path("value").asText()).isEqualTo("backendtrafficpolicy/default/p");
    assertThat(entries.get(1).path("key").asText()).isEqualTo("rule-1-match--1");
    JsonNode actions = shared.path("rate_limits").get(0).path("actions");
    JsonNode md = actions.get(0).path("metadata");
    assertThat(md.path("source").asText()).isEqualTo("ROUTE_ENTRY");
    assertThat(md.path("metadata_key").path("key").asText())
        .isEqualTo(LocalRateLimitFilterXds.SHARED_METADATA);
    assertThat(md.path("metadata_key").path("path").get(0).path("key").asText())
        .isEqualTo("backendtrafficpolicy/default/p");
    assertThat(actions.get(1).path("generic_key").path("descriptor_key").asText())
        .isEqualTo("rule-1-match--1");
    assertThat(shared.path("descriptors").get(0).path("token_bucket").path("max_tokens").asLong())
        .isEqualTo(3);
  }

  @Test
  void distinctHeaderIsAWildcardEntryFilledFromTheHeader() {
    JsonNode c = config(new MatchIr("Header", "x-user", "Distinct", null, false));
    JsonNode entry = c.path("descriptors").get(0).path("entries").get(0);
    assertThat(entry.path("key").asText()).isEqualTo("rule-0-match-0");
    assertThat(entry.has("value")).isFalse();
    JsonNode action = c.path("rate_limits").get(0).path("actions").get(0);
    assertThat(action.path("request_headers").path("header_name").asText()).isEqualTo("x-user");
    assertThat(action.path("request_headers").path("descriptor_key").asText())
        .isEqualTo("rule-0-match-0");
    assertThat(c.path("max_dynamic_descriptors").asInt())
        .isEqualTo(LocalRateLimitFilterXds.MAX_DYNAMIC_DESCRIPTORS);
  }

  @Test
  void distinctSourceCidrChecksTheRangeThenCountsEachAddress() {
    JsonNode c = config(new MatchIr("SourceCIDR", null, "Distinct", "10.0.0.0/8", false));
    JsonNode entries = c.path("descriptors").get(0).path("entries");
    JsonNode actions = c.path("rate_limits").get(0).path("actions");
    assertThat(entries).hasSize(2);
    assertThat(actions).hasSize(2);
    assertThat(entries.get(0).path("value").asText()).isEqualTo("rule-0-match-0");
    JsonNode range = actions.get(0).path("remote_address_match");
    assertThat(range.path("address_matcher").path("ranges").get(0).path("prefix_len").asInt())
        .isEqualTo(8);
    assertThat(entries.get(1).path("key").asText()).isEqualTo("remote_address");
    assertThat(entries.get(1).has("value")).isFalse();
    assertThat(actions.get(1).has("remote_address")).isTrue();
  }

  @Test
  void exactSelectorsKeepFixedEntriesAndNoDynamicCache() {
    JsonNode c =
        config(
            new MatchIr("SourceCIDR", null, "Exact", "10.0.0.0/8", false),
            new MatchIr("Header", "x-user", "Exact", "alice", false));
    JsonNode entries = c.path("descriptors").get(0).path("entries");
    assertThat(entries).hasSize(2);
    entries.forEach(e -> assertThat(e.path("value").asText()).isEqualTo(e.path("key").asText()));
    assertThat(c.has("max_dynamic_descriptors")).isFalse();
  }
}
