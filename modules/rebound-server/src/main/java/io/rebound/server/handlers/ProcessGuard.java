package io.rebound.server.handlers;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps a process handler's command from outliving the node's JVM, even a SIGKILLed one (no
 * shutdown hook runs then). The command is started through a small {@code /bin/sh} wrapper that
 * runs it in a session and process group of its own ({@code setsid}) and keeps a watchdog: once a
 * second it checks the JVM's pid; when the JVM is gone (or a zombie), it sends SIGTERM to the
 * command's whole process group and SIGKILL two seconds later. So a command and its children end
 * within about 3 s of the JVM (bound: the 1 s poll plus the 2 s grace). Children that start a
 * session of their own escape the group, as they would any kill of a tree.
 *
 * <p>Linux and other Unix systems with {@code /bin/sh}; without {@code setsid} on the PATH the
 * watchdog ends only the command itself. Elsewhere the command runs as it is.
 */
final class ProcessGuard {
  /** $1: the JVM's pid; then the command. The wrapper's exit code is the command's. */
  private static final String WRAPPER = """
      jvm=$1; shift
      exec 3<&0
      %s "$@" <&3 3<&- &
      child=$!
      exec 3<&-
      (
        alive() {
          kill -0 "$jvm" 2>/dev/null || return 1
          s=$(cat "/proc/$jvm/stat" 2>/dev/null) || return 0
          s=${s##*) }
          [ "${s%%%% *}" != Z ]
        }
        while alive; do
          kill -0 "$child" 2>/dev/null || exit 0
          sleep 1
        done
        kill -TERM -"$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null
        sleep 2
        kill -KILL -"$child" 2>/dev/null || kill -KILL "$child" 2>/dev/null
      ) </dev/null >/dev/null 2>&1 &
      watchdog=$!
      wait "$child"
      code=$?
      kill "$watchdog" 2>/dev/null
      exit $code
      """;

  private static final boolean SHELL = new File("/bin/sh").canExecute();
  private static final String SETSID = onPath("setsid") ? "setsid" : "";

  private ProcessGuard() {}

  /** The command to start: the wrapper around {@code command}, or {@code command} where there is no /bin/sh. */
  static List<String> guarded(List<String> command) {
    if (!SHELL) {
      return command;
    }
    List<String> out = new ArrayList<>(List.of("/bin/sh", "-c", WRAPPER.formatted(SETSID), "rebound-guard",
        Long.toString(ProcessHandle.current().pid())));
    out.addAll(command);
    return out;
  }

  /**
   * Whether {@code program} can be started, as ProcessBuilder would find it (a path, relative to
   * {@code directory}, or a name on the node's PATH): with the wrapper, a missing program would
   * otherwise show only as the shell's exit 127.
   */
  static boolean startable(String program, File directory) {
    if (program.contains("/")) {
      Path p = Path.of(program);
      if (!p.isAbsolute() && directory != null) {
        p = directory.toPath().resolve(p);
      }
      return Files.isExecutable(p) && !Files.isDirectory(p);
    }
    return onPath(program);
  }

  private static boolean onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir.isEmpty() ? "." : dir, name);
      if (Files.isExecutable(p) && !Files.isDirectory(p)) {
        return true;
      }
    }
    return false;
  }
}
