package io.rebound.server.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A plain text table: a header row, then rows, columns padded to their widest cell. */
final class Table {
  private final String[] headers;
  private final List<String[]> rows = new ArrayList<>();

  Table(String... headers) {
    this.headers = headers;
  }

  Table row(Object... cells) {
    if (cells.length != headers.length) {
      throw new IllegalArgumentException("expected " + headers.length + " cells, got " + cells.length);
    }
    rows.add(Arrays.stream(cells).map(c -> c == null ? "-" : Format.oneLine(String.valueOf(c))).toArray(String[]::new));
    return this;
  }

  boolean isEmpty() {
    return rows.isEmpty();
  }

  void print(PrintStream out) {
    print(out, "");
  }

  void print(PrintStream out, String indent) {
    print(out, indent, true);
  }

  /** Without the header row: for key/value listings. */
  void printRows(PrintStream out) {
    print(out, "", false);
  }

  private void print(PrintStream out, String indent, boolean header) {
    int[] widths = new int[headers.length];
    for (int c = 0; c < headers.length; c++) {
      widths[c] = header ? headers[c].length() : 0;
      for (String[] r : rows) {
        widths[c] = Math.max(widths[c], r[c].length());
      }
    }
    if (header) {
      out.println(line(headers, widths, indent));
    }
    for (String[] r : rows) {
      out.println(line(r, widths, indent));
    }
  }

  private static String line(String[] cells, int[] widths, String indent) {
    StringBuilder b = new StringBuilder(indent);
    for (int c = 0; c < cells.length; c++) {
      b.append(cells[c]);
      if (c < cells.length - 1) {
        b.append(" ".repeat(widths[c] - cells[c].length() + 2));
      }
    }
    return b.toString().stripTrailing();
  }
}
