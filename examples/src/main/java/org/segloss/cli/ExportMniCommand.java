package org.segloss.cli;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.segloss.examples.data.MniExport;
import org.segloss.examples.unet.MniAtlas;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code segloss export-mni DIR}: the Colin27/AAL task as an nnU-Net v2 raw folder (see {@link MniExport}). */
@Command(name = "export-mni", mixinStandardHelpOptions = true,
        description = {"Writes the Colin27 T1 + AAL deep grey matter task (apt-get install mricron-data) as an nnU-Net v2 raw"
                + " data set folder: dataset.json, imagesTr/colin27_{left,right}_0000.nii.gz, labelsTr/, splits_final.json"
                + " (fold 0 trains on the left hemisphere and validates on the right). Train on it with --data DIR."})
final class ExportMniCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "The data set folder to create (must not exist or be empty).")
    Path dir;

    @Option(names = "--mni-dir", description = "Directory with ch2.nii.gz, aal.nii.gz, aal.nii.txt (default: ${DEFAULT-VALUE}).")
    Path mniDir = MniAtlas.DEFAULT_DIR;

    PrintStream outStream = System.out;
    PrintStream errStream = System.err;

    @Override
    public Integer call() throws IOException {
        try {
            MniExport.export(mniDir, dir);
        } catch (IllegalArgumentException | FileNotFoundException e) {
            errStream.println("segloss export-mni: " + e.getMessage());
            return 2;
        }
        outStream.println("wrote " + dir + ": nnU-Net v2 raw data set Colin27AAL, cases " + MniExport.LEFT + " and " + MniExport.RIGHT
                + ", 7 classes; train with --data " + dir);
        return 0;
    }
}
