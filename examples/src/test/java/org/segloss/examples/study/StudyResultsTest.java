package org.segloss.examples.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyResultsTest {
    static StudyPlan plan() {
        return new StudyPlan(List.of("phantom"), List.of("dice-ce", "focal-tversky:alpha=0.7,beta=0.3", "nan-loss"),
                StudyPlan.seeds(5, 2), Map.of("epochs", "2"));
    }

    /** Runs every run of {@code shard} into {@code dir} as a study process would, with fake results. */
    static void runShard(Path dir, StudyPlan plan, Shard shard) throws Exception {
        plan.claim(dir);
        RunStore store = new RunStore(dir);
        for (RunKey k : shard.select(plan.runs())) {
            if (store.finished(k)) continue;
            store.clearStale(k);
            store.commit(StudyFixtures.result(k, 0.02), f -> Files.writeString(f.resolve("note.txt"), k.toString()));
        }
    }

    @Test
    void resultJsonRoundTripsExactly() {
        RunResult r = StudyFixtures.result(new RunKey("phantom", "dice", 3), 0.05);
        assertEquals(r, RunResult.fromJson(r.toJson()));
        assertEquals(r.toJson(), RunResult.fromJson(r.toJson()).toJson());
        RunResult d = StudyFixtures.result(new RunKey("phantom", "nan-x", 3), 0);
        assertEquals(d, RunResult.fromJson(d.toJson()));
        // one-empty classes give infinite distances, which survive the round trip
        assertTrue(r.toJson().contains("hd95Mm"));
    }

    @Test
    void twoShardsMergeToTheUnshardedBytes(@TempDir Path tmp) throws Exception {
        StudyPlan plan = plan();
        Path whole = tmp.resolve("whole"), sharded = tmp.resolve("sharded");
        runShard(whole, plan, Shard.ALL);
        runShard(sharded, plan, new Shard(1, 2));                 // the second shard first: order must not matter
        StudyResults half = StudyResults.read(sharded);
        assertEquals(3, half.missing().size());
        assertEquals(3, half.finished().size());
        runShard(sharded, plan, new Shard(0, 2));
        StudyResults a = StudyResults.read(whole), b = StudyResults.read(sharded);
        assertTrue(a.missing().isEmpty() && b.missing().isEmpty());
        assertEquals(a.csv(), b.csv());
        a.writeCsv(whole);
        b.writeCsv(sharded);
        assertEquals(-1L, Files.mismatch(whole.resolve(StudyResults.CSV), sharded.resolve(StudyResults.CSV)));
    }

    @Test
    void csvColumnsRowsAndDivergedRuns(@TempDir Path dir) throws Exception {
        StudyPlan plan = plan();
        runShard(dir, plan, Shard.ALL);
        List<String> lines = List.of(StudyResults.read(dir).csv().split("\n"));
        assertEquals("data,loss,seed,class,dice,iou,hd95_mm,assd_mm,detected,false_positive_components,step_ms,wall_s,recall,precision,"
                + "truth_components,volumes,epochs,status", lines.get(0));
        assertEquals(1 + 6 * 3, lines.size());
        assertTrue(lines.get(1).startsWith("phantom,dice-ce,5,organ,"), lines.get(1));
        assertTrue(lines.get(4).startsWith("phantom,\"focal-tversky:alpha=0.7,beta=0.3\",5,organ,"), lines.get(4));
        String diverged = lines.get(7);
        assertTrue(diverged.startsWith("phantom,nan-loss,5,organ,nan,nan,nan,nan,nan,nan,12.5,1.25,nan,nan,0,0,0,diverged"), diverged);
        // a lesion row: detection in [0, 1], counts as integers, finished
        String lesion = lines.get(3);
        String[] f = lesion.split(",");
        assertEquals("lesion", f[3]);
        double detected = Double.parseDouble(f[8]);
        assertTrue(detected >= 0 && detected <= 1, lesion);
        assertEquals("finished", f[17]);
        assertEquals("2", f[15]);
    }

    @Test
    void aggregationFollowsTheEmptyRules() {
        RunResult r = StudyFixtures.result(new RunKey("phantom", "dice", 9), 0.0);   // prediction = truth
        for (int c = 0; c < 3; c++) {
            StudyResults.Row row = StudyResults.row(r, c);
            assertEquals(1.0, row.dice(), 0);
            assertEquals(0.0, row.hd95Mm(), 0);
            assertEquals(0.0, row.falsePositiveComponents(), 0);
            assertEquals(1.0, row.recall(), 0);
        }
        StudyResults.Row lesion = StudyResults.row(r, 2);
        assertEquals(1.0, lesion.detected(), 0);
        assertTrue(lesion.truthComponents() >= 1, "the 16^3 phantoms have lesions: " + lesion);
    }

    @Test
    void commitIsAtomicAndResumable(@TempDir Path dir) throws Exception {
        RunStore store = new RunStore(dir);
        RunKey k = new RunKey("phantom", "dice", 1);
        assertFalse(store.finished(k));
        assertNull(store.read(k));
        // an interrupted attempt: a temporary folder without the final name
        Path parent = store.folder(k).getParent();
        Files.createDirectories(parent.resolve(".seed-1.tmp-dead"));
        assertFalse(store.finished(k));
        store.clearStale(k);
        assertFalse(Files.exists(parent.resolve(".seed-1.tmp-dead")));
        RunResult r = StudyFixtures.result(k, 0.01);
        assertTrue(store.commit(r, f -> Files.writeString(f.resolve("extra.txt"), "x")));
        assertTrue(store.finished(k));
        assertEquals(r, store.read(k));
        assertTrue(Files.exists(store.folder(k).resolve("extra.txt")));
        // a second commit of the same run keeps the first and leaves no temporary folder
        assertFalse(store.commit(StudyFixtures.result(k, 0.3), null));
        assertEquals(r, store.read(k));
        try (var s = Files.list(parent)) {
            assertEquals(List.of("seed-1"), s.map(p -> p.getFileName().toString()).toList());
        }
    }
}
