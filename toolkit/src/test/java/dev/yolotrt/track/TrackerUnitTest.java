package dev.yolotrt.track;

import dev.yolotrt.predict.Boxes;
import dev.yolotrt.predict.Results;
import dev.yolotrt.util.YoloException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tracker's parts on hand-computed cases: assignment with a cost limit, configs, confirmation, line counting. */
class TrackerUnitTest {

    @Test
    void assignmentIsTheCheapestUnderTheLimit() {
        // Greedy would take (0,0)=0.1 and leave row 1 with 0.9 (above the limit): the optimum pairs 0-1 and 1-0 (0.5 in all).
        double[][] c = {{0.1, 0.2}, {0.3, 0.9}};
        assertArrayEquals(new int[] {1, 0}, Assignment.solve(c, 2, 2, 0.8));
        // A pair above the limit is never matched, even when it is the only one.
        assertArrayEquals(new int[] {-1}, Assignment.solve(new double[][] {{0.85}}, 1, 1, 0.8));
        assertArrayEquals(new int[] {0}, Assignment.solve(new double[][] {{0.75}}, 1, 1, 0.8));
        // More columns than rows, and an empty side.
        assertArrayEquals(new int[] {2}, Assignment.solve(new double[][] {{0.6, 0.5, 0.1}}, 1, 3, 0.8));
        assertArrayEquals(new int[] {-1, -1}, Assignment.solve(new double[2][0], 2, 0, 0.8));
    }

    @Test
    void builtInConfigsHaveUltralyticsDefaults() {
        TrackerConfig b = TrackerConfig.byteTrack();
        assertEquals("bytetrack", b.trackerType());
        assertEquals(0.25, b.trackHighThresh());
        assertEquals(0.1, b.trackLowThresh());
        assertEquals(0.25, b.newTrackThresh());
        assertEquals(30, b.trackBuffer());
        assertEquals(0.8, b.matchThresh());
        assertTrue(b.fuseScore());
        TrackerConfig s = TrackerConfig.botSort();
        assertEquals("sparseOptFlow", s.gmcMethod());
        assertEquals(0.5, s.proximityThresh());
        assertEquals(0.8, s.appearanceThresh());
    }

    @Test
    void userYamlOverridesAndRefusesWhatIsNotSupported(@TempDir Path tmp) throws Exception {
        Path f = Files.writeString(tmp.resolve("mine.yaml"), "tracker_type: bytetrack\ntrack_buffer: 60\nmatch_thresh: 0.9\n");
        TrackerConfig c = TrackerConfig.load(f.toString());
        assertEquals(60, c.trackBuffer());
        assertEquals(0.9, c.matchThresh());
        assertEquals(0.25, c.trackHighThresh());
        Path reid = Files.writeString(tmp.resolve("reid.yaml"), "tracker_type: botsort\nwith_reid: True\n");
        assertTrue(assertThrows(YoloException.class, () -> TrackerConfig.load(reid.toString())).getMessage().contains("not supported"));
        Path typo = Files.writeString(tmp.resolve("typo.yaml"), "tracker_type: bytetrack\ntrack_bufer: 60\n");
        assertTrue(assertThrows(YoloException.class, () -> TrackerConfig.load(typo.toString())).getMessage().contains("unknown key 'track_bufer'"));
        assertTrue(assertThrows(YoloException.class, () -> TrackerConfig.load("deepsort.yaml")).getMessage().contains("not found"));
    }

    @Test
    void aTrackIsConfirmedOnItsSecondFrameAndKeepsItsId() {
        try (Tracker t = new Tracker(TrackerConfig.byteTrack())) {
            float[] box = {100, 100, 150, 200};
            assertEquals(List.of(), t.update(new float[0], new float[0], new int[0], 0, null, null));
            // Frame 2 (not the tracker's first): a new track is not confirmed yet.
            assertEquals(0, t.update(box, new float[] {0.9f}, new int[] {0}, 1, null, null).size());
            List<Tracker.Output> out = t.update(new float[] {102, 100, 152, 200}, new float[] {0.8f}, new int[] {0}, 1, null, null);
            assertEquals(1, out.size());
            assertEquals(1, out.get(0).id());
            assertEquals(0.8f, out.get(0).score());
            // A weak detection (0.1 < 0.2 < 0.25) keeps the track alive in the second round; a lone weak one starts nothing.
            assertEquals(1, t.update(new float[] {104, 100, 154, 200}, new float[] {0.2f}, new int[] {0}, 1, null, null).get(0).id());
            assertEquals(0, new Tracker(TrackerConfig.byteTrack()).update(box, new float[] {0.2f}, new int[] {0}, 1, null, null).size());
        }
    }

    private static Results frame(int[] ids, float... xyxy) {
        int n = ids.length;
        Boxes b = new Boxes(xyxy, new float[n], new int[n], ids, List.of("person"), 100, 100);
        return new Results("v.mp4", null, 100, 100, new int[] {640, 640}, b, Map.of()).withBoxes(b, null);
    }

    @Test
    void lineCounterCountsCrossingsOncePerDirection() {
        LineCounter c = new LineCounter(0, 50, 100, 50, 0);   // a horizontal line at y = 50, drawn left to right
        c.update(frame(new int[] {1, 2}, 10, 30, 20, 40, 60, 60, 70, 70));   // 1 above (y 35), 2 below (y 65)
        c.update(frame(new int[] {1, 2}, 10, 50, 20, 60, 60, 40, 70, 50));   // 1 down to y 55, 2 up to y 45
        c.update(frame(new int[] {1}, 10, 30, 20, 40));                      // 1 back up: its other direction
        c.update(frame(new int[] {1}, 10, 50, 20, 60));                      // 1 down again: counted once only
        // Down across a left-to-right line is to its right ("in"), up is "out".
        assertEquals(1, c.in());
        assertEquals(2, c.out());
    }
}
