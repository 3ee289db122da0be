package dev.yolotrt.track;

/**
 * The constant-velocity Kalman filter of SORT-style trackers over an 8-dimensional state: box centre, shape and their
 * velocities. ByteTrack's shape is (aspect ratio, height), BoT-SORT's (width, height); noise scales with the box
 * (position 1/20, velocity 1/160 of its size). States and covariances are plain arrays owned by each track.
 */
final class Kalman {
    private static final double POS = 1.0 / 20, VEL = 1.0 / 160;

    /** BoT-SORT's (x, y, w, h) state; otherwise ByteTrack's (x, y, aspect, h). */
    private final boolean xywh;

    Kalman(boolean xywh) {
        this.xywh = xywh;
    }

    boolean xywh() {
        return xywh;
    }

    /** The measurement of a box given as top-left x, y, width, height. */
    double[] measure(double[] tlwh) {
        double cx = tlwh[0] + tlwh[2] / 2, cy = tlwh[1] + tlwh[3] / 2;
        return xywh ? new double[] {cx, cy, tlwh[2], tlwh[3]} : new double[] {cx, cy, tlwh[2] / tlwh[3], tlwh[3]};
    }

    /** The box (top-left x, y, width, height) of a state. */
    double[] tlwh(double[] mean) {
        double w = xywh ? mean[2] : mean[2] * mean[3], h = mean[3];
        return new double[] {mean[0] - w / 2, mean[1] - h / 2, w, h};
    }

    /** Per-dimension standard deviations of the four measured quantities, scaled by {@code k}. */
    private double[] std(double[] m, double k, double aspect) {
        return xywh ? new double[] {k * m[2], k * m[3], k * m[2], k * m[3]} : new double[] {k * m[3], k * m[3], aspect, k * m[3]};
    }

    /** A new track's state: the measurement at rest, wide uncertainty (velocities ten times the motion noise). */
    void initiate(double[] z, double[] mean, double[][] cov) {
        System.arraycopy(z, 0, mean, 0, 4);
        for (int i = 4; i < 8; i++) mean[i] = 0;
        double[] p = std(z, 2 * POS, 1e-2), v = std(z, 10 * VEL, 1e-5);
        for (int i = 0; i < 8; i++) java.util.Arrays.fill(cov[i], 0);
        for (int i = 0; i < 4; i++) {
            cov[i][i] = p[i] * p[i];
            cov[i + 4][i + 4] = v[i] * v[i];
        }
    }

    /** One step ahead: x += v, P = F P Fᵀ + Q with Q from the current box. */
    void predict(double[] mean, double[][] cov) {
        double[] p = std(mean, POS, 1e-2), v = std(mean, VEL, 1e-5);
        for (int i = 0; i < 4; i++) mean[i] += mean[i + 4];
        // F P Fᵀ with F = [[I, I], [0, I]]: rows then columns of the top half gain their velocity counterpart.
        for (int i = 0; i < 4; i++) for (int j = 0; j < 8; j++) cov[i][j] += cov[i + 4][j];
        for (int i = 0; i < 8; i++) for (int j = 0; j < 4; j++) cov[i][j] += cov[i][j + 4];
        for (int i = 0; i < 4; i++) {
            cov[i][i] += p[i] * p[i];
            cov[i + 4][i + 4] += v[i] * v[i];
        }
    }

    /** Corrects the state with measurement {@code z}: K = P Hᵀ S⁻¹, x += K (z - Hx), P -= K S Kᵀ. */
    void update(double[] mean, double[][] cov, double[] z) {
        double[] r = std(mean, POS, 1e-1);
        double[][] s = new double[4][4];
        for (int i = 0; i < 4; i++) {
            System.arraycopy(cov[i], 0, s[i], 0, 4);
            s[i][i] += r[i] * r[i];
        }
        double[][] sInv = invert4(s);
        double[][] k = new double[8][4];
        for (int i = 0; i < 8; i++) for (int j = 0; j < 4; j++) {
            double acc = 0;
            for (int q = 0; q < 4; q++) acc += cov[i][q] * sInv[q][j];
            k[i][j] = acc;
        }
        double[] innovation = new double[4];
        for (int i = 0; i < 4; i++) innovation[i] = z[i] - mean[i];
        for (int i = 0; i < 8; i++) for (int j = 0; j < 4; j++) mean[i] += k[i][j] * innovation[j];
        // K S Kᵀ = K (P Hᵀ)ᵀ = K · (top four rows of P).
        double[][] next = new double[8][8];
        for (int i = 0; i < 8; i++) for (int j = 0; j < 8; j++) {
            double acc = 0;
            for (int q = 0; q < 4; q++) acc += k[i][q] * cov[q][j];
            next[i][j] = cov[i][j] - acc;
        }
        for (int i = 0; i < 8; i++) System.arraycopy(next[i], 0, cov[i], 0, 8);
    }

    /** Gauss-Jordan inverse of a 4×4 symmetric positive-definite matrix (the innovation covariance). */
    private static double[][] invert4(double[][] m) {
        int n = 4;
        double[][] a = new double[n][2 * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(m[i], 0, a[i], 0, n);
            a[i][n + i] = 1;
        }
        for (int c = 0; c < n; c++) {
            int piv = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) piv = r;
            double[] t = a[c];
            a[c] = a[piv];
            a[piv] = t;
            double d = a[c][c];
            for (int j = 0; j < 2 * n; j++) a[c][j] /= d;
            for (int r = 0; r < n; r++) {
                if (r == c || a[r][c] == 0) continue;
                double f = a[r][c];
                for (int j = 0; j < 2 * n; j++) a[r][j] -= f * a[c][j];
            }
        }
        double[][] inv = new double[n][n];
        for (int i = 0; i < n; i++) System.arraycopy(a[i], n, inv[i], 0, n);
        return inv;
    }

    /** Global motion compensation: the 2×3 affine {@code h} applied to the state (positions, shapes and velocities in pairs). */
    static void warp(double[] mean, double[][] cov, double[] h) {
        double r00 = h[0], r01 = h[1], r10 = h[3], r11 = h[4];
        double[][] big = new double[8][8];
        for (int b = 0; b < 8; b += 2) {
            big[b][b] = r00;
            big[b][b + 1] = r01;
            big[b + 1][b] = r10;
            big[b + 1][b + 1] = r11;
        }
        double[] m = new double[8];
        for (int i = 0; i < 8; i++) for (int j = 0; j < 8; j++) m[i] += big[i][j] * mean[j];
        m[0] += h[2];
        m[1] += h[5];
        System.arraycopy(m, 0, mean, 0, 8);
        double[][] t = new double[8][8], out = new double[8][8];
        for (int i = 0; i < 8; i++) for (int j = 0; j < 8; j++) for (int q = 0; q < 8; q++) t[i][j] += big[i][q] * cov[q][j];
        for (int i = 0; i < 8; i++) for (int j = 0; j < 8; j++) for (int q = 0; q < 8; q++) out[i][j] += t[i][q] * big[j][q];
        for (int i = 0; i < 8; i++) System.arraycopy(out[i], 0, cov[i], 0, 8);
    }
}
