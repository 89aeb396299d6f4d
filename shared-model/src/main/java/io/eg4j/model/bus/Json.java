package io.eg4j.model.bus;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/** The JSON and YAML mappers eg4j uses everywhere, configured once. */
public final class Json {
  private Json() {}

  /**
   * Reads leniently (unknown fields ignored), writes without nulls. Trees it reads or creates are
   * {@link CompactNodeFactory}'s, the smaller kind the services keep in memory.
   */
  public static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .nodeFactory(CompactNodeFactory.INSTANCE)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .serializationInclusion(JsonInclude.Include.NON_NULL)
          .build();

  /** Like {@link #MAPPER} but with sorted keys, for hashing and golden files. */
  public static final ObjectMapper CANONICAL =
      JsonMapper.builder()
          .nodeFactory(CompactNodeFactory.INSTANCE)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .serializationInclusion(JsonInclude.Include.NON_NULL)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .enable(com.fasterxml.jackson.databind.MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
          .build();

  /** YAML output without the document start marker noise, literal blocks for multi-line text. */
  public static final ObjectMapper YAML =
      YAMLMapper.builder(
              YAMLFactory.builder()
                  .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                  .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                  .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
                  .build())
          .nodeFactory(CompactNodeFactory.INSTANCE)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .serializationInclusion(JsonInclude.Include.NON_NULL)
          .build();
}
