package io.rebound.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.rebound.core.config.ConfigProblem;
import io.rebound.core.config.EffectiveConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every config snippet in README.md and docs/*.md passes {@code rebound config check}, so the docs
 * stay true. A snippet is a fenced block marked {@code hocon} or {@code conf}, an unmarked one that
 * starts with a {@code rebound} key, or the text block a {@code java} block passes to {@code
 * ConfigFactory.parseString} (whose queues get their handlers in code). Each is checked on its own
 * over the defaults; a {@code ${VAR}} it needs from the environment is given a placeholder.
 */
class DocsConfigSnippetsTest {
  private static final Path ROOT = Path.of("../..");
  private static final Pattern FENCE = Pattern.compile("(?m)^```([a-z]*)\\n(.*?)^```", Pattern.DOTALL);
  private static final Pattern TEXT_BLOCK = Pattern.compile("parseString\\(\"\"\"\\n(.*?)\"\"\"", Pattern.DOTALL);
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{\\??([A-Za-z_][A-Za-z0-9_]*)}");
  private static final Set<String> NOT_CONFIG = Set.of("bash", "console", "json", "yaml", "sh", "text");

  record Snippet(String where, String hocon, boolean handlersInCode) {}

  static List<Snippet> snippets() throws IOException {
    List<Path> files = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    }
    List<Snippet> out = new ArrayList<>();
    for (Path file : files) {
      String text = Files.readString(file);
      Matcher m = FENCE.matcher(text);
      while (m.find()) {
        String info = m.group(1);
        String body = m.group(2);
        String where = ROOT.relativize(file) + ":" + (text.substring(0, m.start()).lines().count() + 1);
        if (info.equals("java")) {
          Matcher t = TEXT_BLOCK.matcher(body);
          while (t.find()) {
            out.add(new Snippet(where, t.group(1), true));
          }
        } else if (info.equals("hocon") || info.equals("conf")
            || (!NOT_CONFIG.contains(info) && firstLine(body).matches("(rebound|pekko)(\\.|\\s*\\{).*"))) {
          out.add(new Snippet(where, body, false));
        }
      }
    }
    return out;
  }

  private static String firstLine(String body) {
    return body.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#") && !l.startsWith("//"))
        .findFirst().orElse("");
  }

  @Test
  void theSnippetsAreFound() throws IOException {
    List<Snippet> all = snippets();
    assertTrue(all.size() >= 11, "found only " + all);
    assertTrue(all.stream().anyMatch(s -> s.where().startsWith("README.md")), "the README's embedding example");
  }

  @TestFactory
  Stream<DynamicTest> everyConfigSnippetInTheDocsPassesTheCheck() throws IOException {
    return snippets().stream().map(s -> dynamicTest(s.where(), () -> {
      Map<String, String> env = new HashMap<>();
      VARIABLE.matcher(s.hocon()).results().forEach(v -> env.put(v.group(1), "placeholder-" + v.group(1)));
      Config parsed = ConfigFactory.parseString(s.hocon());
      Set<String> inCode = s.handlersInCode() && parsed.hasPath("rebound.queues")
          ? parsed.getObject("rebound.queues").keySet() : Set.of();
      Config resolved = EffectiveConfig.resolve(parsed, env);
      assertEquals(List.of(), NodeConfig.problems(resolved, inCode).stream().map(ConfigProblem::line).toList(),
          s.where() + ":\n" + s.hocon());
    }));
  }
}
