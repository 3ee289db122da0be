package dev.yolotrt.track;

/**
 * One tracklet (ByteTrack's STrack): its Kalman state, the last detection's score, class and index, and its life
 * cycle. A track is "activated" once confirmed: at once on the first frame, otherwise when a second detection matches.
 */
final class Track {
    enum State { NEW, TRACKED, LOST, REMOVED }

    /** The detection this track was made from or last matched: top-left x, y, width, height. */
    final double[] tlwh;
    double[] mean;
    double[][] cov;
    float score;
    int cls;
    int idx;
    int id;
    State state = State.NEW;
    boolean activated;
    int frameId;
    int startFrame;
    int trackletLen;

    Track(double[] tlwh, float score, int cls, int idx) {
        this.tlwh = tlwh;
        this.score = score;
        this.cls = cls;
        this.idx = idx;
    }

    /** The current box: the filter's estimate, or the detection before the filter starts. */
    double[] box(Kalman kf) {
        return mean == null ? tlwh.clone() : kf.tlwh(mean);
    }

    double[] xyxy(Kalman kf) {
        double[] b = box(kf);
        return new double[] {b[0], b[1], b[0] + b[2], b[1] + b[3]};
    }

    void activate(Kalman kf, int frame, int newId) {
        id = newId;
        mean = new double[8];
        cov = new double[8][8];
        kf.initiate(kf.measure(tlwh), mean, cov);
        trackletLen = 0;
        state = State.TRACKED;
        if (frame == 1) activated = true;
        frameId = frame;
        startFrame = frame;
    }

    /** A lost track found again (its id kept). */
    void reActivate(Track det, Kalman kf, int frame) {
        kf.update(mean, cov, kf.measure(det.tlwh));
        trackletLen = 0;
        take(det, frame);
    }

    /** A tracked track matched again. */
    void update(Track det, Kalman kf, int frame) {
        trackletLen++;
        kf.update(mean, cov, kf.measure(det.tlwh));
        take(det, frame);
    }

    private void take(Track det, int frame) {
        frameId = frame;
        state = State.TRACKED;
        activated = true;
        score = det.score;
        cls = det.cls;
        idx = det.idx;
    }

    /** Predicts one frame ahead; a track not currently tracked keeps its shape still (BoT-SORT also its width). */
    void predict(Kalman kf) {
        if (state != State.TRACKED) {
            mean[7] = 0;
            if (kf.xywh()) mean[6] = 0;
        }
        kf.predict(mean, cov);
    }
}
