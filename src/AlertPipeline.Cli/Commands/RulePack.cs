using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Sigma;

namespace AlertPipeline.Cli.Commands;

/// <summary>One rule file, compiled or not.</summary>
internal sealed record RuleFile(string Path, RuleRecord? Record, RuleCompileException? Error);

/// <summary>
/// Reads Sigma YAML files from disk into stored-rule rows. A directory's rule files belong to the pack named
/// after the directory (<c>rules/default/*.yml</c> → pack <c>default</c>); a directory of pack directories is read pack by pack.
/// </summary>
internal static class RulePack
{
    public static IReadOnlyList<RuleFile> Load(IEnumerable<string> paths, string? packOverride, RuleMode mode, TimeProvider time)
    {
        var files = new List<RuleFile>();
        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                files.AddRange(LoadFile(path, packOverride ?? PackOf(Path.GetDirectoryName(Path.GetFullPath(path))!), mode, time));
            }
            else if (Directory.Exists(path))
            {
                foreach (var file in Directory.EnumerateFiles(path, "*.*", SearchOption.AllDirectories)
                    .Where(f => f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal))
                {
                    files.AddRange(LoadFile(file, packOverride ?? PackOf(Path.GetDirectoryName(file)!), mode, time));
                }
            }
            else
            {
                throw new UsageException($"no such file or directory: {path}");
            }
        }

        return files;
    }

    private static string PackOf(string directory) => Path.GetFileName(directory.TrimEnd(Path.DirectorySeparatorChar));

    private static IEnumerable<RuleFile> LoadFile(string path, string pack, RuleMode mode, TimeProvider time)
    {
        string yaml;
        try
        {
            yaml = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {path}: {ex.Message}");
        }

        // A rule collection (correlation rules ship as one) becomes one row per document.
        foreach (var document in SigmaRuleCompiler.CheckDocuments(yaml))
        {
            RuleFile file;
            try
            {
                file = document.Error is { } error
                    ? new RuleFile(path, null, error)
                    : new RuleFile(path, RuleRecord.FromSigma(pack, document.Yaml, mode, time.GetUtcNow()), null);
            }
            catch (RuleCompileException ex)
            {
                file = new RuleFile(path, null, ex);
            }

            yield return file;
        }
    }
}
