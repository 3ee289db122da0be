package dev.yolotrt.viz;

import dev.yolotrt.util.AtomicWrite;
import tech.tablesaw.api.Table;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Writes Tablesaw tables as CSV and Markdown, through temporary files (nothing half-written). */
public final class Tables {
    private Tables() {
    }

    public static Path writeCsv(Table table, Path file) {
        return AtomicWrite.write(file, tmp -> table.write().csv(tmp.toFile()));
    }

    public static Path writeMarkdown(Table table, Path file) {
        return AtomicWrite.write(file, tmp -> Files.writeString(tmp, markdown(table)));
    }

    /** A cell as tables show it: numbers to 4 significant digits, "-" where nothing was measured (Markdown, HTML). */
    public static String cell(Table table, int column, int row) {
        Object v = table.column(column).get(row);
        if (v == null || v instanceof Double d && d.isNaN()) return "-"; // Tablesaw hands back a missing number as null
        return v instanceof Double d ? String.format(Locale.ROOT, "%.4g", d) : String.valueOf(v);
    }

    /** A GitHub-flavoured Markdown table; numbers with 4 significant digits. */
    public static String markdown(Table table) {
        StringBuilder sb = new StringBuilder("|");
        for (String c : table.columnNames()) sb.append(' ').append(c).append(" |");
        sb.append("\n|");
        table.columnNames().forEach(c -> sb.append("---|"));
        sb.append('\n');
        for (int r = 0; r < table.rowCount(); r++) {
            sb.append('|');
            for (int c = 0; c < table.columnCount(); c++) {
                sb.append(' ').append(cell(table, c, r)).append(" |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
