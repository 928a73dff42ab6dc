package io.rebound.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@link io.rebound.api.JobHandler} bean as the handler of a queue: on the bean's class
 * ({@code @Component @ReboundHandler("emails") class EmailHandler implements JobHandler}) or on a
 * {@code @Bean} method returning a JobHandler. The queue needs no {@code rebound.queues.<name>}
 * entry: without one it runs with {@code rebound.queue-defaults}.
 *
 * <p>Not a {@code @Component} itself: Spring would take {@code value} as the bean's name.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface ReboundHandler {
  /** The queue's name, as under {@code rebound.queues}. */
  String value();
}
