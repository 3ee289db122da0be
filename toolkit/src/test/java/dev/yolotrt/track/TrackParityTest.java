package dev.yolotrt.track;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.Boxes;
import dev.yolotrt.predict.Results;
import dev.yolotrt.testutil.Shared;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.OptionalInt;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ByteTrack and BoT-SORT against Ultralytics 8.3.218's own {@code track} output (yolov8n.pt, conf 0.1 as its track
 * mode sets, persist): per frame the same boxes (class, ±1 px), ≥ 99 % of them under Ultralytics' id after one
 * consistent renaming, and as many distinct ids ± 1. A frame where the tracker confirms nothing keeps the raw
 * detections without ids, as Ultralytics returns them. Each video is decoded and detected once for both trackers.
 */
class TrackParityTest {

    /** One frame's detections (original pixels) and the frame, kept for BoT-SORT's motion compensation. */
    record Dets(float[] xyxy, float[] conf, int[] cls, int n) {
    }

    private static Yolo model;
    private static final Map<String, List<Dets>> DETS = new HashMap<>();
    private static final Map<String, List<Mat>> FRAMES = new HashMap<>();

    @BeforeAll
    static void load() {
        model = Yolo.load(Shared.model("yolov8n.pt"), Shared.settings());
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    /** The frames' detections through the video pipeline (a .pt model runs on the rect input, as in Ultralytics). */
    private static synchronized List<Dets> detect(String video, int limit, boolean keepFrames) {
        return DETS.computeIfAbsent(video, v -> {
            List<Dets> out = new ArrayList<>();
            List<Mat> frames = new ArrayList<>();
            try (Stream<Results> s = model.stream(Shared.video(v).toString(), Map.of("conf", 0.1))) {
                s.limit(limit).forEach(r -> {
                    assertEquals(out.size(), r.frame());
                    Boxes b = r.boxes();
                    out.add(new Dets(b.xyxy(), b.conf(), b.cls(), b.size()));
                    if (keepFrames) frames.add(r.origImg());
                });
            }
            FRAMES.put(v, frames);
            return out;
        });
    }

    @Test
    void megamindByteTrack() throws Exception {
        check("Megamind.avi", "Megamind-bytetrack.json", TrackerConfig.byteTrack(), Integer.MAX_VALUE);
    }

    @Test
    void megamindBotSort() throws Exception {
        check("Megamind.avi", "Megamind-botsort.json", TrackerConfig.botSort(), Integer.MAX_VALUE);
    }

    /** The camera motion computed ahead on a pool, as the video pipeline does, tracks exactly the same. */
    @Test
    void megamindBotSortMotionAhead() throws Exception {
        check("Megamind.avi", "Megamind-botsort.json", TrackerConfig.botSort(), Integer.MAX_VALUE, true);
    }

    @Test
    void cupByteTrack() throws Exception {
        check("cup.mp4", "cup-bytetrack.json", TrackerConfig.byteTrack(), Integer.MAX_VALUE);
    }

    @Test
    void vtestByteTrack() throws Exception {
        check("vtest.avi", "vtest-bytetrack-first200.json", TrackerConfig.byteTrack(), 200);
    }

    private void check(String video, String ref, TrackerConfig cfg, int limit) throws Exception {
        check(video, ref, cfg, limit, false);
    }

    private static List<double[]> motionAhead(List<Mat> images) {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (MotionAhead ahead = MotionAhead.of("sparseOptFlow", pool, OptionalInt.empty())) {
            List<CompletableFuture<double[]>> motions = new ArrayList<>();
            for (Mat m : images) motions.add(ahead.next(CompletableFuture.completedFuture(m)));
            return motions.stream().map(CompletableFuture::join).toList();
        } finally {
            pool.shutdown();
        }
    }

    private void check(String video, String ref, TrackerConfig cfg, int limit, boolean ahead) throws Exception {
        JsonNode frames = new ObjectMapper().readTree(Files.readAllBytes(Shared.reference("track/" + ref))).get("frames");
        List<Dets> dets = detect(video, Math.min(limit, frames.size()), video.startsWith("Megamind"));
        List<Mat> images = FRAMES.get(video);
        List<double[]> motions = ahead ? motionAhead(images) : null;
        assertEquals(frames.size(), dets.size(), video + ": frames");
        int boxes = 0, matched = 0, withId = 0, sameId = 0;
        Map<Integer, Map<Integer, Integer>> votes = new HashMap<>();
        List<int[]> pairs = new ArrayList<>();
        Set<Integer> ours = new HashSet<>(), theirs = new HashSet<>();
        try (Tracker tracker = new Tracker(cfg)) {
            for (int f = 0; f < dets.size(); f++) {
                Dets d = dets.get(f);
                List<Tracker.Output> out = tracker.update(d.xyxy, d.conf, d.cls, d.n, images.isEmpty() ? null : images.get(f),
                        ahead ? motions.get(f) : null);
                int h = frames.get(f).get("shape").get(0).asInt(), w = frames.get(f).get("shape").get(1).asInt();
                List<float[]> mine = new ArrayList<>();
                List<Integer> ids = new ArrayList<>();
                if (out.isEmpty()) {
                    for (int i = 0; i < d.n; i++) {
                        mine.add(new float[] {d.xyxy[i * 4], d.xyxy[i * 4 + 1], d.xyxy[i * 4 + 2], d.xyxy[i * 4 + 3], d.cls[i]});
                        ids.add(null);
                    }
                } else {
                    for (Tracker.Output t : out) {
                        float[] b = t.xyxy();
                        mine.add(new float[] {clip(b[0], w), clip(b[1], h), clip(b[2], w), clip(b[3], h), t.cls()});
                        ids.add(t.id());
                    }
                }
                boolean[] used = new boolean[mine.size()];
                if (System.getenv("TRACK_DEBUG") != null && f < 6) {
                    System.out.println("frame " + f + " ref " + frames.get(f).get("tracks"));
                    for (int i = 0; i < mine.size(); i++) System.out.println("   mine " + ids.get(i) + " " + java.util.Arrays.toString(mine.get(i)));
                    for (int i = 0; i < d.n; i++) System.out.println("   det " + d.conf[i] + " " + d.cls[i] + " " + d.xyxy[i*4] + "," + d.xyxy[i*4+1] + "," + d.xyxy[i*4+2] + "," + d.xyxy[i*4+3]);
                }
                for (JsonNode r : frames.get(f).get("tracks")) {
                    boxes++;
                    int k = nearest(r, mine, used);
                    if (k < 0) continue;
                    used[k] = true;
                    matched++;
                    if (r.get("id").isNull() || ids.get(k) == null) continue;
                    withId++;
                    int theirId = r.get("id").asInt();
                    theirs.add(theirId);
                    ours.add(ids.get(k));
                    votes.computeIfAbsent(ids.get(k), x -> new HashMap<>()).merge(theirId, 1, Integer::sum);
                    pairs.add(new int[] {ids.get(k), theirId});
                }
                for (Integer id : ids) if (id != null) ours.add(id);
            }
        }
        // One consistent renaming: each of our ids to the Ultralytics id it most often carries.
        Map<Integer, Integer> rename = new HashMap<>();
        votes.forEach((id, v) -> rename.put(id, v.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey()));
        for (int[] p : pairs) if (rename.get(p[0]) == p[1]) sameId++;
        int distinctTheirs = distinctIds(frames);
        System.out.printf(Locale.ROOT, "%s %s: %d/%d boxes matched (%.2f%%), ids %d/%d (%.2f%%), distinct ids %d vs Ultralytics %d%n", video,
                cfg.trackerType(), matched, boxes, 100.0 * matched / boxes, sameId, withId, 100.0 * sameId / Math.max(1, withId), ours.size(),
                distinctTheirs);
        assertTrue(matched >= 0.99 * boxes, video + " " + cfg.trackerType() + ": boxes matched " + matched + "/" + boxes);
        assertTrue(sameId >= 0.99 * withId, video + " " + cfg.trackerType() + ": ids " + sameId + "/" + withId);
        assertTrue(Math.abs(ours.size() - distinctTheirs) <= 1, video + ": distinct ids " + ours.size() + " vs " + distinctTheirs);
    }

    private static int distinctIds(JsonNode frames) {
        Set<Integer> s = new HashSet<>();
        for (JsonNode f : frames) for (JsonNode t : f.get("tracks")) if (!t.get("id").isNull()) s.add(t.get("id").asInt());
        return s.size();
    }

    private static float clip(float v, int max) {
        return Math.max(0, Math.min(max, v));
    }

    /** The unused box of the same class within 1 px on every side, or -1. */
    private static int nearest(JsonNode r, List<float[]> mine, boolean[] used) {
        JsonNode b = r.get("xyxy");
        for (int k = 0; k < mine.size(); k++) {
            float[] m = mine.get(k);
            if (used[k] || (int) m[4] != r.get("cls").asInt()) continue;
            boolean close = true;
            for (int q = 0; q < 4; q++) close &= Math.abs(m[q] - b.get(q).asDouble()) <= 1.0;
            if (close) return k;
        }
        return -1;
    }
}
