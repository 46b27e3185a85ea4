package org.segloss.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.segloss.examples.data.DatasetFolder;
import org.segloss.examples.data.Evaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code segloss evaluate}: scores predicted label maps against references (see {@link Evaluation}). */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Scores the label maps in --pred against those of the same name in --truth (.nii.gz or .nii):"
                + " Dice, IoU, HD95 and ASSD in mm per case and foreground class into OUT/evaluation.csv, mean ± sd per class"
                + " into OUT/summary.md (also printed). Nothing is written unless every case can be scored."})
final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--pred", required = true, paramLabel = "DIR", description = "Predicted label maps, CASE.nii.gz.")
    Path pred;

    @Option(names = "--truth", required = true, paramLabel = "DIR", description = "Reference label maps, CASE.nii.gz.")
    Path truth;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where evaluation.csv and summary.md go (created).")
    Path out;

    @Option(names = "--labels", paramLabel = "DATASET_JSON", description = "dataset.json (MSD or nnU-Net v2) naming the classes;"
            + " without it the classes are 1 .. the largest label found.")
    Path labels;

    PrintStream outStream = System.out;
    PrintStream errStream = System.err;

    @Override
    public Integer call() throws IOException {
        Evaluation.Result result;
        try {
            if (labels != null && !Files.isRegularFile(labels)) throw new IllegalArgumentException("--labels " + labels + ": no such file");
            List<String> names = labels == null ? null : DatasetFolder.readClassNames(labels);
            result = Evaluation.evaluate(pred, truth, names);
        } catch (IllegalArgumentException e) {
            errStream.println("segloss evaluate: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            errStream.println("segloss evaluate: " + e.getMessage());
            return 2;
        }
        Evaluation.write(result, out);
        outStream.print(Evaluation.summary(result));
        outStream.println("wrote " + out.resolve(Evaluation.CSV) + " and " + out.resolve(Evaluation.SUMMARY));
        return 0;
    }
}
