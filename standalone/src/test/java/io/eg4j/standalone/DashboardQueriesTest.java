package io.eg4j.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.standalone.DashboardQueries.FixedSeries;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The name extraction the live dashboard check relies on. */
class DashboardQueriesTest {

  @Test
  void namesLeaveOutFunctionsLabelsRangesVariablesAndStrings() {
    assertThat(
            DashboardQueries.metricNames(
                "sum by (ir_key) (rate(eg4j_xds_nacks_total{namespace=~\"$namespace\","
                    + "ir_key=~\"$gateway\"}[$__rate_interval])) > 0"))
        .containsExactly("eg4j_xds_nacks_total");
    assertThat(
            DashboardQueries.metricNames(
                "histogram_quantile(0.99, sum by (le) (rate(a_seconds_bucket[5m]))) "
                    + "/ on (instance) group_left (pod) b_info"))
        .containsExactlyInAnyOrder("a_seconds_bucket", "b_info");
    assertThat(DashboardQueries.metricNames("label_values(eg4j_leader, namespace)"))
        .containsExactly("eg4j_leader");
    assertThat(
            DashboardQueries.metricNames(
                "absent(eg4j_leader{service=\"translator\"}) or absent(eg4j_leader)"))
        .containsExactly("eg4j_leader");
  }

  @Test
  void fixedSeriesAreTheEqualityMatchersOnLiteralValues() {
    assertThat(
            DashboardQueries.fixedSeries(
                "rate(eg4j_status_writes_total{result=\"conflict\",namespace=~\"$ns\","
                    + "kind!=\"x\",ir_key=\"$gateway\"}[5m])"))
        .containsExactly(new FixedSeries("eg4j_status_writes_total", "result", "conflict"));
  }

  @Test
  void samplesParseTheTextExposition() {
    Map<String, List<Map<String, String>>> s =
        DashboardQueries.samples(
            "# HELP x_total X\n# TYPE x_total counter\n"
                + "x_total{result=\"written\",application=\"a\"} 3.0\n"
                + "t_seconds_count{} 1\nt_seconds_max 0.5\n");
    assertThat(s).containsOnlyKeys("x_total", "t_seconds_count", "t_seconds_max");
    assertThat(s.get("x_total").get(0)).containsEntry("result", "written");
  }

  @Test
  void theDeployQueriesYieldTheServicesMetricNames() throws Exception {
    List<DashboardQueries.Query> queries = DashboardQueries.load(Path.of("../deploy"));
    assertThat(queries).hasSizeGreaterThan(20);
    Set<String> names =
        queries.stream()
            .flatMap(q -> DashboardQueries.metricNames(q.expr()).stream())
            .collect(java.util.stream.Collectors.toSet());
    assertThat(names)
        .contains("eg4j_xds_nacks_total", "eg4j_leader", "eg4j_translator_translation_seconds_sum")
        .allMatch(n -> n.matches("[a-z_:][a-z0-9_:]*"), "lower-case metric names");
  }
}
