package io.eg4j.model.bus;

import com.fasterxml.jackson.annotation.JacksonAnnotationsInside;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an IR field that holds a Secret's data (a string): the bus seals it value by value before
 * it compresses the IR ({@link SecretValues}).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER})
@JacksonAnnotationsInside
@JsonSerialize(using = SecretValues.Writer.class)
@JsonDeserialize(using = SecretValues.Reader.class)
public @interface SecretMaterial {

  /** Marks an IR map whose values hold a Secret's data (API keys by client id, say). */
  @Retention(RetentionPolicy.RUNTIME)
  @Target({ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER})
  @JacksonAnnotationsInside
  @JsonSerialize(contentUsing = SecretValues.Writer.class)
  @JsonDeserialize(contentUsing = SecretValues.Reader.class)
  public @interface Values {}
}
