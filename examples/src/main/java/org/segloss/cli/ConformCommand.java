package org.segloss.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.segloss.conform.CaseFile;
import org.segloss.conform.CaseResult;
import org.segloss.conform.ConformanceRunner;
import org.segloss.conform.Report;
import org.segloss.conform.Tolerance;
import org.segloss.util.OutputFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code segloss conform}: the reference vectors through the library's losses. */
@Command(name = "conform", mixinStandardHelpOptions = true,
        description = "Runs every case of a conformance cases.json (schema 1) through the library: writes <id>.loss.json and"
                + " <id>.grad.npy (as check_npy.py reads them) to OUT_DIR and compares with the expected values next to"
                + " CASES_JSON. Cases whose loss the library does not have are reported as unsupported, not failed."
                + " Exits 1 when any case failed.")
final class ConformCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CASES_JSON", description = "The cases.json; its folder holds the .npy files.")
    Path cases;

    @Parameters(index = "1", paramLabel = "OUT_DIR", description = "Folder for the outputs (created if needed).")
    Path out;

    @Override
    public Integer call() throws IOException {
        CaseFile file;
        try {
            file = CaseFile.load(cases);
        } catch (IllegalArgumentException e) {
            System.err.println("segloss conform: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            System.err.println("segloss conform: cannot read CASES_JSON " + cases + ": " + e);
            return 2;
        }
        String why = OutputFolder.prepare(out);
        if (why != null) {
            System.err.println("segloss conform: OUT_DIR " + out + ": " + why);
            return 2;
        }
        System.out.printf("segloss conform: %d cases from %s (set %s), outputs in %s%n", file.cases().size(), cases, file.set(), out);
        System.out.printf("tolerance |a - b| <= atol + rtol |b|: loss atol %.0e rtol %.0e; gradient atol %.0e rtol %.0e%n%n",
                Tolerance.LOSS.atol(), Tolerance.LOSS.rtol(), Tolerance.ARRAY.atol(), Tolerance.ARRAY.rtol());
        List<CaseResult> results = new ConformanceRunner(file).runAll(out, r -> System.out.println(Report.line(r)));
        System.out.println();
        Report.closing(results).forEach(System.out::println);
        return Report.anyFailed(results) ? 1 : 0;
    }
}
