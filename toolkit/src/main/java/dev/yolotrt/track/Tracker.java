package dev.yolotrt.track;

import org.bytedeco.opencv.opencv_core.Mat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * ByteTrack (Zhang et al. 2022) and BoT-SORT (Aharon et al. 2022) as Ultralytics runs them: every detection is kept,
 * the confident ones matched first to tracked and lost tracks by score-weighted IoU, the weak ones then to the tracks
 * still unmatched, and new tracks confirmed only when they are matched again the next frame. BoT-SORT adds its
 * (x, y, w, h) Kalman filter and camera motion compensation. One tracker per video, fed frame after frame; not
 * thread-safe. Ultralytics creates trackers for 30 fps whatever the video's rate, so lost tracks live
 * {@code track_buffer} frames.
 */
public final class Tracker implements AutoCloseable {

    /** A confirmed track's box this frame (x1, y1, x2, y2 in pixels), id, last score and class, and its detection's index. */
    public record Output(float[] xyxy, int id, float score, int cls, int idx) {
    }

    private static final int MAX_REMOVED = 1000;

    private final TrackerConfig cfg;
    private final Kalman kf;
    private final Gmc gmc;
    private final int maxTimeLost;
    private List<Track> tracked = new ArrayList<>();
    private List<Track> lost = new ArrayList<>();
    private List<Track> removed = new ArrayList<>();
    private int frameId;
    private int nextId;

    public Tracker(TrackerConfig cfg) {
        this.cfg = cfg;
        this.kf = new Kalman(cfg.isBotSort());
        this.gmc = cfg.isBotSort() ? new Gmc(cfg.gmcMethod()) : null;
        this.maxTimeLost = (int) (30 / 30.0 * cfg.trackBuffer());
    }

    public TrackerConfig config() {
        return cfg;
    }

    /**
     * Feeds one frame's detections ({@code n} boxes x1, y1, x2, y2 with scores and classes; {@code image}: the frame,
     * for BoT-SORT's motion compensation, may be null; {@code motion}: its 2×3 transform when computed ahead
     * ({@link MotionAhead}), else null) and returns the confirmed tracks.
     */
    public List<Output> update(float[] xyxy, float[] conf, int[] cls, int n, Mat image, double[] motion) {
        frameId++;
        List<Track> activatedNow = new ArrayList<>(), refound = new ArrayList<>(), lostNow = new ArrayList<>(), removedNow = new ArrayList<>();
        List<Track> high = new ArrayList<>(), low = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float s = conf[i];
            Track d = detection(xyxy, i, s, cls[i]);
            if (s >= cfg.trackHighThresh()) high.add(d);
            else if (s > cfg.trackLowThresh()) low.add(d);
        }
        List<Track> unconfirmed = new ArrayList<>(), confirmed = new ArrayList<>();
        for (Track t : tracked) (t.activated ? confirmed : unconfirmed).add(t);

        // First round: confident detections against tracked and lost tracks, predicted to this frame.
        List<Track> pool = joint(confirmed, lost);
        for (Track t : pool) t.predict(kf);
        if (gmc != null) {
            double[] h;
            if (motion != null) {
                // Computed ahead: the serial state would be stale for a frame given later.
                gmc.close();
                h = motion;
            } else {
                h = gmc.apply(image);
            }
            for (Track t : pool) Kalman.warp(t.mean, t.cov, h);
            for (Track t : unconfirmed) Kalman.warp(t.mean, t.cov, h);
        }
        int[] m = Assignment.solve(distances(pool, high), pool.size(), high.size(), cfg.matchThresh());
        boolean[] highUsed = new boolean[high.size()];
        List<Track> leftTracked = new ArrayList<>();
        for (int i = 0; i < pool.size(); i++) {
            Track t = pool.get(i);
            if (m[i] >= 0) {
                highUsed[m[i]] = true;
                claim(t, high.get(m[i]), activatedNow, refound);
            } else if (t.state == Track.State.TRACKED) {
                leftTracked.add(t);
            }
        }
        // Second round: weak detections against the tracked tracks left, by plain IoU.
        m = Assignment.solve(iouCost(leftTracked, low), leftTracked.size(), low.size(), 0.5);
        for (int i = 0; i < leftTracked.size(); i++) {
            Track t = leftTracked.get(i);
            if (m[i] >= 0) {
                claim(t, low.get(m[i]), activatedNow, refound);
            } else if (t.state != Track.State.LOST) {
                t.state = Track.State.LOST;
                lostNow.add(t);
            }
        }
        // Tracks seen once only get one more chance: the confident detections left.
        List<Track> rest = new ArrayList<>();
        for (int j = 0; j < high.size(); j++) if (!highUsed[j]) rest.add(high.get(j));
        m = Assignment.solve(distances(unconfirmed, rest), unconfirmed.size(), rest.size(), 0.7);
        boolean[] restUsed = new boolean[rest.size()];
        for (int i = 0; i < unconfirmed.size(); i++) {
            Track t = unconfirmed.get(i);
            if (m[i] >= 0) {
                restUsed[m[i]] = true;
                t.update(rest.get(m[i]), kf, frameId);
                activatedNow.add(t);
            } else {
                t.state = Track.State.REMOVED;
                removedNow.add(t);
            }
        }
        for (int j = 0; j < rest.size(); j++) {
            Track d = rest.get(j);
            if (restUsed[j] || d.score < cfg.newTrackThresh()) continue;
            d.activate(kf, frameId, ++nextId);
            activatedNow.add(d);
        }
        for (Track t : lost) {
            if (frameId - t.frameId > maxTimeLost) {
                t.state = Track.State.REMOVED;
                removedNow.add(t);
            }
        }
        // Book-keeping in ByteTrack's order: a lost track dropped this frame leaves the lost list on the next one.
        List<Track> still = new ArrayList<>();
        for (Track t : tracked) if (t.state == Track.State.TRACKED) still.add(t);
        tracked = joint(joint(still, activatedNow), refound);
        lost = minus(lost, tracked);
        lost.addAll(lostNow);
        lost = minus(lost, removed);
        dropDuplicates();
        removed.addAll(removedNow);
        if (removed.size() > MAX_REMOVED) removed = new ArrayList<>(removed.subList(removed.size() - (MAX_REMOVED - 1), removed.size()));

        List<Output> out = new ArrayList<>();
        for (Track t : tracked) {
            if (!t.activated) continue;
            double[] b = t.xyxy(kf);
            out.add(new Output(new float[] {(float) b[0], (float) b[1], (float) b[2], (float) b[3]}, t.id, t.score, t.cls, t.idx));
        }
        return out;
    }

    /** Detection {@code i} as an unstarted track, its box converted as Ultralytics does (centre and size in float32). */
    private static Track detection(float[] xyxy, int i, float score, int cls) {
        float x1 = xyxy[i * 4], y1 = xyxy[i * 4 + 1], x2 = xyxy[i * 4 + 2], y2 = xyxy[i * 4 + 3];
        float cx = (x1 + x2) / 2, cy = (y1 + y2) / 2, w = x2 - x1, h = y2 - y1;
        return new Track(new double[] {cx - w / 2, cy - h / 2, w, h}, score, cls, i);
    }

    private void claim(Track t, Track det, List<Track> activatedNow, List<Track> refound) {
        if (t.state == Track.State.TRACKED) {
            t.update(det, kf, frameId);
            activatedNow.add(t);
        } else {
            t.reActivate(det, kf, frameId);
            refound.add(t);
        }
    }

    /** 1 - IoU, weighted by the detection's score when {@code fuse_score} (first round and unconfirmed tracks). */
    private double[][] distances(List<Track> tracks, List<Track> dets) {
        double[][] c = iouCost(tracks, dets);
        if (cfg.fuseScore()) {
            for (double[] row : c) for (int j = 0; j < row.length; j++) row[j] = 1 - (1 - row[j]) * dets.get(j).score;
        }
        return c;
    }

    private double[][] iouCost(List<Track> a, List<Track> b) {
        double[][] c = new double[a.size()][b.size()];
        List<double[]> bb = b.stream().map(t -> t.xyxy(kf)).toList();
        for (int i = 0; i < a.size(); i++) {
            double[] p = a.get(i).xyxy(kf);
            for (int j = 0; j < b.size(); j++) c[i][j] = 1 - iou(p, bb.get(j));
        }
        return c;
    }

    static double iou(double[] p, double[] q) {
        double iw = Math.max(0, Math.min(p[2], q[2]) - Math.max(p[0], q[0]));
        double ih = Math.max(0, Math.min(p[3], q[3]) - Math.max(p[1], q[1]));
        double inter = iw * ih;
        return inter / ((p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter + 1e-7);
    }

    /** {@code a}, then the tracks of {@code b} whose id is not in {@code a}. */
    private static List<Track> joint(List<Track> a, List<Track> b) {
        List<Track> out = new ArrayList<>(a);
        Set<Integer> ids = new HashSet<>();
        for (Track t : a) ids.add(t.id);
        for (Track t : b) if (ids.add(t.id)) out.add(t);
        return out;
    }

    /** The tracks of {@code a} whose id is not in {@code b}. */
    private static List<Track> minus(List<Track> a, List<Track> b) {
        Set<Integer> ids = new HashSet<>();
        for (Track t : b) ids.add(t.id);
        List<Track> out = new ArrayList<>();
        for (Track t : a) if (!ids.contains(t.id)) out.add(t);
        return out;
    }

    /** A tracked and a lost track on the same object (IoU above 0.85): the one followed for fewer frames goes. */
    private void dropDuplicates() {
        double[][] d = iouCost(tracked, lost);
        Set<Integer> dropA = new HashSet<>(), dropB = new HashSet<>();
        for (int i = 0; i < tracked.size(); i++) {
            for (int j = 0; j < lost.size(); j++) {
                if (d[i][j] >= 0.15) continue;
                Track p = tracked.get(i), q = lost.get(j);
                if (p.frameId - p.startFrame > q.frameId - q.startFrame) dropB.add(j);
                else dropA.add(i);
            }
        }
        List<Track> a = new ArrayList<>(), b = new ArrayList<>();
        for (int i = 0; i < tracked.size(); i++) if (!dropA.contains(i)) a.add(tracked.get(i));
        for (int j = 0; j < lost.size(); j++) if (!dropB.contains(j)) b.add(lost.get(j));
        tracked = a;
        lost = b;
    }

    /** Forgets every track and restarts ids at 1 (a new video). */
    public void reset() {
        tracked = new ArrayList<>();
        lost = new ArrayList<>();
        removed = new ArrayList<>();
        frameId = 0;
        nextId = 0;
        if (gmc != null) gmc.close();
    }

    @Override
    public void close() {
        if (gmc != null) gmc.close();
    }
}
