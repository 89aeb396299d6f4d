package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The translator never changes the objects it is given. The translator service relies on it: it
 * hands its own resource map to each translation instead of a deep copy of every object (at 5,000
 * routes that copy was megabytes per change). Checked on every golden input and, where the shared
 * conformance corpus sits beside the repository, on each of its cases.
 */
class TranslatorLeavesInputUntouchedTest {
  static Stream<Path> inputs() throws IOException {
    return TranslatorInputs.goldenAndCorpus();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("inputs")
  void translationLeavesTheSnapshotAsItWas(Path input) throws IOException {
    TranslatorInputs.Input in = TranslatorInputs.read(input);
    if (in == null) {
      return; // an input the reader refuses never reaches the translator
    }
    List<ObjectNode> before = in.resources().stream().map(ObjectNode::deepCopy).toList();
    new Translator(in.config()).translate(ResourceSnapshot.of(in.resources()));
    assertThat(in.resources()).isEqualTo(before);
  }
}
