package org.segloss.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The options train, study and predict share have one name, default and help text (the mixins), and each command has them all. */
class SharedOptionsTest {
    /** Options both commands declare themselves because they mean different things there. */
    private static final Set<String> OWN_MEANING = Set.of("--data", "--seed", "--out", "--help", "--version");

    private static CommandSpec spec(Object command) {
        return new CommandLine(command).getCommandSpec();
    }

    private static void assertSame(OptionSpec a, OptionSpec b) {
        assertArrayEquals(a.description(), b.description(), a.longestName());
        assertEquals(a.initialValue(), b.initialValue(), a.longestName());
        assertEquals(a.paramLabel(), b.paramLabel(), a.longestName());
    }

    @Test
    void trainAndStudyShareEveryTrainingAndDataOption() {
        CommandSpec train = spec(new TrainCommand()), study = spec(new StudyCommand());
        Set<String> shared = new TreeSet<>();
        for (OptionSpec o : train.options()) {
            OptionSpec s = study.findOption(o.longestName());
            if (s == null || OWN_MEANING.contains(o.longestName())) continue;
            shared.add(o.longestName());
            assertSame(o, s);
        }
        for (String name : List.of("--epochs", "--steps-per-epoch", "--patch", "--batch", "--foreground-share", "--lr", "--depth",
                "--base-channels", "--val-window", "--fold", "--spacing", "--volume-size", "--train-volumes", "--val-volumes",
                "--mni-dir", "--mni-downsample", "--threads", "--no-progress")) {
            assertTrue(shared.contains(name), name + " missing from train or study; shared: " + shared);
        }
        assertEquals(10, (Integer) train.findOption("--epochs").initialValue());
        assertEquals(2, (Integer) study.findOption("--batch").initialValue());
    }

    @Test
    void predictSharesThreadsAndProgress() {
        CommandSpec train = spec(new TrainCommand()), predict = spec(new PredictCommand());
        for (String name : List.of("--threads", "--no-progress")) assertSame(train.findOption(name), predict.findOption(name));
    }

    @Test
    void trainOnlyOptionsStayOutOfStudy() {
        CommandSpec study = spec(new StudyCommand());
        for (String name : List.of("--deep-supervision", "--postprocess", "--resume", "--stop-after-epoch", "--loss")) {
            assertEquals(null, study.findOption(name), name);
        }
    }
}
