import PackagePlugin

/// Compiles a target's text assets into it: every `.lua`, `.json`, `.html`, `.js` and `.css`
/// file in the target becomes a static string of a generated `EmbeddedFiles` enum, so the
/// binaries carry their scripts, API document and dashboard with no resource bundle to ship
/// beside them. Raw string literals compile fast; `.embedInCode` resources, which become
/// byte-array literals, do not.
@main
struct EmbedFiles: BuildToolPlugin {
    static let suffixes = ["lua", "json", "html", "js", "css"]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let inputs = target.sourceFiles
            .filter { file in Self.suffixes.contains(file.url.pathExtension) }
            .map(\.url)
            .sorted { $0.path < $1.path }
        guard !inputs.isEmpty else { return [] }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) files in \(target.name)",
                executable: try context.tool(named: "EmbedFilesTool").url,
                arguments: [output.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
