using System.Text.Json;
using AlertPipeline.Adapters.Detect;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Detect.Sigma;
using Microsoft.Extensions.Configuration;

namespace AlertPipeline.Cli.Commands;

/// <summary>
/// <c>alertpipe rules validate</c>: checks Sigma rule files (e.g. a SigmaHQ checkout) and reports each one as
/// ok, unsupported (a valid rule for a log source we do not ingest) or error. Exit 1 if any file is an error,
/// 0 otherwise (unsupported rules alone are not a failure), 2 for bad arguments or an unreadable path.
/// </summary>
internal sealed class RulesValidateCommand(TextWriter stdout, TextWriter stderr)
{
    public const string Usage = """
        usage: alertpipe rules validate <file|dir>... [--output text|json]
          Checks Sigma rules (*.yml, *.yaml; directories recursively). Each file is
            ok           compiles and can fire on the telemetry we ingest
            unsupported  a valid rule for a log source we do not ingest (e.g. Windows event logs)
            error        invalid, or uses something the compiler does not handle
          --output  text (default): one 'path:line:column: status: reason' line per file that is not ok, then a summary
                    json: one object per file per line: path, id, status, reason, line, column
          |expand placeholders are read from the environment: Sigma__Placeholders__<name>=value1,value2
          exit 0 when no file is an error, 1 when any is, 2 for bad arguments or an unreadable path
        """;

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = new CliArguments(args, new HashSet<string> { "output" }, new HashSet<string>());
        var output = parsed.Value("output") ?? "text";
        if (output is not ("text" or "json"))
        {
            throw new UsageException($"--output must be text or json, not '{output}'");
        }

        if (parsed.Positionals.Count == 0)
        {
            throw new UsageException("give at least one rule file or directory");
        }

        var placeholders = SigmaPlaceholderConfiguration.FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables().Build());
        var counts = new int[3];
        // Every path is checked before anything is printed, so a typo fails fast with exit 2.
        var files = RuleFiles(parsed.Positionals).Select(path => (Path: path, Documents: SigmaRuleCompiler.CheckDocuments(Read(path), placeholders))).ToList();
        var linkErrors = LinkCorrelations(files.SelectMany(f => f.Documents));
        foreach (var (path, documents) in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = FileResult(documents, linkErrors);
            counts[(int)result.Status]++;
            if (output == "json")
            {
                await stdout.WriteLineAsync(JsonLine(path, result)).ConfigureAwait(false);
            }
            else if (result.Problem is { } problem)
            {
                // path:line:column: the shape editors and CI annotations understand.
                await stdout.WriteLineAsync($"{path}:{problem.Line}:{problem.Column}: {StatusText(result.Status)}: {problem.Problem}").ConfigureAwait(false);
            }
        }

        var total = counts.Sum();
        var parsedCount = counts[(int)SigmaRuleStatus.Ok] + counts[(int)SigmaRuleStatus.Unsupported];
        var percent = total == 0 ? 100.0 : 100.0 * parsedCount / total;
        var summary = $"{total} rule files: {counts[(int)SigmaRuleStatus.Ok]} ok, {counts[(int)SigmaRuleStatus.Unsupported]} unsupported, "
            + $"{counts[(int)SigmaRuleStatus.Error]} error ({percent.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)}% parsed)";

        // With JSON on stdout the summary goes to stderr, so stdout stays one object per line.
        await (output == "json" ? stderr : stdout).WriteLineAsync(summary).ConfigureAwait(false);
        return counts[(int)SigmaRuleStatus.Error] == 0 ? 0 : 1;
    }

    /// <summary>
    /// Links the correlation rules among everything validated together, as the rule set will: a correlation that
    /// names a rule found in none of the files (or a cycle) is an error of its file.
    /// </summary>
    private static Dictionary<string, RuleLoadError> LinkCorrelations(IEnumerable<SigmaDocument> documents)
    {
        var ok = documents.Where(d => d.Rule is not null).Select(d => new ActiveRule("validate", d.Rule!, RuleMode.Enforce)).ToList();
        var errors = new List<RuleLoadError>();
        CorrelationLinker.Link(ok.Where(r => r.Rule.Correlation is null).ToList(), ok.Where(r => r.Rule.Correlation is not null).ToList(), errors);
        var byRule = new Dictionary<string, RuleLoadError>(StringComparer.Ordinal);
        foreach (var error in errors)
        {
            byRule.TryAdd(error.RuleId, error);
        }

        return byRule;
    }

    /// <summary>
    /// One result per file: its first document's id (the correlation, in a collection), and the worst status of its
    /// documents with the first reason of that status.
    /// </summary>
    private static SigmaCheckResult FileResult(IReadOnlyList<SigmaDocument> documents, Dictionary<string, RuleLoadError> linkErrors)
    {
        var results = documents.Select(d => d.Rule is { } rule && linkErrors.TryGetValue(rule.Id, out var error)
            ? new SigmaCheckResult(SigmaRuleStatus.Error, rule.Id, null, new RuleCompileException(rule.Id, d.Line, 1, error.Problem))
            : d.Result).ToList();
        var worst = results.OrderByDescending(r => r.Status).First();
        return worst.Status == SigmaRuleStatus.Ok ? results[0] : worst with { RuleId = results[0].RuleId ?? worst.RuleId };
    }

    private static IEnumerable<string> RuleFiles(IReadOnlyList<string> paths)
    {
        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                yield return path;
            }
            else if (Directory.Exists(path))
            {
                foreach (var file in Directory.EnumerateFiles(path, "*.*", SearchOption.AllDirectories)
                    .Where(f => f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal))
                {
                    yield return file;
                }
            }
            else
            {
                throw new UsageException($"no such file or directory: {path}");
            }
        }
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {path}: {ex.Message}");
        }
    }

    private static string StatusText(SigmaRuleStatus status) => status switch
    {
        SigmaRuleStatus.Ok => "ok",
        SigmaRuleStatus.Unsupported => "unsupported",
        _ => "error",
    };

    private static string JsonLine(string path, SigmaCheckResult result)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("path", path);
            json.WriteString("id", result.RuleId);
            json.WriteString("status", StatusText(result.Status));
            json.WriteString("reason", result.Reason);
            if (result.Problem is { } problem)
            {
                json.WriteNumber("line", problem.Line);
                json.WriteNumber("column", problem.Column);
            }
            else
            {
                json.WriteNull("line");
                json.WriteNull("column");
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
