package io.rebound.core.config;

/**
 * One thing wrong with a config: the full path of the key and what is wrong with it.
 *
 * @param key the full path, e.g. {@code rebound.queues.q.concurency}
 * @param problem what is wrong, e.g. {@code unknown key (did you mean concurrency?)}
 */
public record ConfigProblem(String key, String problem) {
  /** The line a user sees: {@code key: problem}. */
  public String line() {
    return key + ": " + problem;
  }

  public ReboundConfigException toException() {
    return new ReboundConfigException(key, problem);
  }
}
