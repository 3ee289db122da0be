package dev.yolotrt.track;

import java.util.Arrays;

/**
 * Exact minimum-cost assignment with a cost limit, the problem trackers hand to {@code lap.lapjv(extend_cost=True,
 * cost_limit=...)}: each row either takes a column or stays unmatched at half the limit, each column the same, so a
 * pair is matched only when that is cheaper overall and never above the limit. Solved on the square extended matrix
 * with the Hungarian method (shortest augmenting paths with potentials), O(n³): trackers see tens of boxes.
 */
final class Assignment {

    private Assignment() {
    }

    /** For each row of {@code cost} ({@code rows}×{@code cols}), the column it is matched to, or -1. */
    static int[] solve(double[][] cost, int rows, int cols, double limit) {
        int[] match = new int[rows];
        Arrays.fill(match, -1);
        if (rows == 0 || cols == 0) return match;
        int n = rows + cols;
        double half = limit / 2;
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (i < rows && j < cols) a[i][j] = cost[i][j];
                else if (i >= rows && j >= cols) a[i][j] = 0;
                else a[i][j] = half;
            }
        }
        int[] colOfRow = hungarian(a);
        for (int i = 0; i < rows; i++) if (colOfRow[i] < cols) match[i] = colOfRow[i];
        return match;
    }

    /** The column assigned to each row of the square matrix {@code a} at minimum total cost. */
    private static int[] hungarian(double[][] a) {
        int n = a.length;
        double[] u = new double[n + 1], v = new double[n + 1];
        int[] p = new int[n + 1], way = new int[n + 1];
        for (int i = 1; i <= n; i++) {
            p[0] = i;
            int j0 = 0;
            double[] minv = new double[n + 1];
            Arrays.fill(minv, Double.POSITIVE_INFINITY);
            boolean[] used = new boolean[n + 1];
            do {
                used[j0] = true;
                int i0 = p[j0], j1 = 0;
                double delta = Double.POSITIVE_INFINITY;
                for (int j = 1; j <= n; j++) {
                    if (used[j]) continue;
                    double cur = a[i0 - 1][j - 1] - u[i0] - v[j];
                    if (cur < minv[j]) {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if (minv[j] < delta) {
                        delta = minv[j];
                        j1 = j;
                    }
                }
                for (int j = 0; j <= n; j++) {
                    if (used[j]) {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    } else {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
            } while (p[j0] != 0);
            do {
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        int[] colOfRow = new int[n];
        for (int j = 1; j <= n; j++) colOfRow[p[j] - 1] = j - 1;
        return colOfRow;
    }
}
