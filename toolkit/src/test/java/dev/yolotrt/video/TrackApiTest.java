package dev.yolotrt.video;

import dev.yolotrt.model.Yolo;
import dev.yolotrt.predict.Results;
import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java API's track: persist across calls, tracks of pose models carry their keypoints, frames are numbered. */
class TrackApiTest {

    private static int[] ids(Results r) {
        int[] ids = r.boxes().isTrack() ? r.boxes().ids() : new int[0];
        Arrays.sort(ids);
        return ids;
    }

    @Test
    void persistContinuesTheTracksOfTheLastCall() {
        String cup = Shared.video("cup.mp4").toString();
        try (Yolo model = Yolo.load(Shared.model("yolov8n.onnx"), Shared.settings())) {
            Map<String, Object> o = Map.of("tracker", "bytetrack.yaml", "vid_stride", 20);
            List<Results> first = model.track(cup, o);
            assertEquals(11, first.size());
            for (int i = 0; i < first.size(); i++) assertEquals(i, first.get(i).frame());
            assertEquals(1, ids(first.get(0))[0], "ids start at 1 on the first frame");
            java.util.Set<Integer> seen = new java.util.HashSet<>();
            first.forEach(r -> Arrays.stream(ids(r)).forEach(seen::add));
            // persist: the same video again continues the tracks (an id of the first call comes back); without it the
            // tracker starts over and gives the first call's ids again.
            List<Results> again = model.track(cup, Map.of("tracker", "bytetrack.yaml", "vid_stride", 20, "persist", true));
            assertTrue(again.stream().flatMapToInt(r -> Arrays.stream(ids(r))).anyMatch(seen::contains), "no track continued");
            assertTrue(Arrays.stream(ids(again.get(0))).allMatch(seen::contains), "the first frame again should carry known ids");
            List<Results> fresh = model.track(cup, o);
            assertArrayEquals(ids(first.get(0)), ids(fresh.get(0)));
        }
    }

    @Test
    void imagesOfDifferentSizesTrackOneAfterAnother() {
        try (Yolo model = Yolo.load(Shared.model("yolov8n.onnx"), Shared.settings())) {
            // BoT-SORT's motion compensation starts over when the frame size changes (bus.jpg 810x1080, zidane.jpg 1280x720).
            List<Results> rs = model.track(List.of(Shared.image("bus.jpg").toString(), Shared.image("zidane.jpg").toString(),
                    Shared.image("zidane.jpg").toString()), Map.of("tracker", "botsort.yaml"));
            assertEquals(3, rs.size());
            assertTrue(rs.get(0).boxes().isTrack(), "the tracker's first frame confirms its tracks");
            assertTrue(rs.get(2).boxes().isTrack() && rs.get(2).boxes().size() >= 2, "zidane.jpg twice: its persons tracked");
        }
    }

    @Test
    void poseTracksKeepTheirKeypoints() {
        try (Yolo model = Yolo.load(Shared.model("yolo11n-pose.onnx"), Shared.settings())) {
            List<Results> rs;
            try (var frames = model.trackStream(Shared.video("vtest.avi").toString(), Map.of("tracker", "botsort.yaml", "vid_stride", 2))) {
                rs = frames.limit(20).toList();
            }
            assertEquals(20, rs.size());
            int tracked = 0;
            for (Results r : rs) {
                assertEquals(r.boxes().size(), r.keypoints().size(), "frame " + r.frame());
                if (r.boxes().isTrack()) tracked++;
            }
            assertTrue(tracked >= 15, "frames with tracks: " + tracked);
        }
    }

    /**
     * The API's results keep their frames (Ultralytics' orig_img); a run that draws nothing (the CLI's track without
     * save or show) keeps none, with the same boxes, and asking such a result for its frame says why it has none.
     * {@code predict} takes a video as Ultralytics' does.
     */
    @Test
    void framesAreKeptForTheApiAndNotForARunThatDrawsNothing() {
        String cup = Shared.video("cup.mp4").toString();
        try (Yolo model = Yolo.load(Shared.model("yolov8n.onnx"), Shared.settings())) {
            dev.yolotrt.cfg.Cfg c = dev.yolotrt.cfg.Cfg.of(Map.of("vid_stride", 40, "save", false, "verbose", false))
                    .forMode(dev.yolotrt.cfg.Cfg.Mode.PREDICT, dev.yolotrt.cfg.Cfg.Caller.CLI);
            List<Results> kept = new java.util.ArrayList<>(), bare = new java.util.ArrayList<>();
            try (MultiVideo it = model.videos(cup, c, false)) {
                it.forEachRemaining(kept::add);
            }
            try (MultiVideo it = model.videos(cup, c, false, false)) {
                it.forEachRemaining(bare::add);
            }
            assertEquals(kept.size(), bare.size());
            assertTrue(kept.size() >= 5, "frames: " + kept.size());
            for (int i = 0; i < kept.size(); i++) {
                assertEquals(kept.get(i).frame(), bare.get(i).frame());
                assertEquals(kept.get(i).boxes().toString(), bare.get(i).boxes().toString());
                try (org.bytedeco.opencv.opencv_core.Mat m = kept.get(i).origImg()) {
                    assertArrayEquals(kept.get(i).origShape(), new int[] {m.rows(), m.cols()});
                }
            }
            // Ultralytics' model.predict("clip.mp4"): every frame's result, with its frame.
            List<Results> api = model.predict(cup, Map.of("vid_stride", 40));
            assertEquals(kept.size(), api.size());
            for (int i = 0; i < api.size(); i++) {
                assertEquals(kept.get(i).boxes().toString(), api.get(i).boxes().toString());
                try (org.bytedeco.opencv.opencv_core.Mat m = api.get(i).origImg()) {
                    assertEquals(kept.get(i).origShape()[0], m.rows());
                }
            }
            dev.yolotrt.util.YoloException e = org.junit.jupiter.api.Assertions.assertThrows(dev.yolotrt.util.YoloException.class,
                    () -> bare.get(1).origImg());
            assertTrue(e.getMessage().startsWith("frame " + bare.get(1).frame() + " of "), e.getMessage());
        }
    }
}
