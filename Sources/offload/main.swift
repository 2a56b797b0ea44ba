import OffloadCLI

await OffloadCommand.runMain()
