using AlertPipeline.Cli.Replay;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Management;
using AlertPipeline.Core.Respond;

namespace AlertPipeline.Cli.Commands;

/// <summary>What one push did, rule by rule.</summary>
internal sealed record PushSummary(int Created, int Replaced, int Unchanged, int Conflicts, int Refused)
{
    public bool Clean => Conflicts == 0 && Refused == 0;
}

/// <summary>
/// <c>rules push</c>, <c>rules test</c> and <c>rules history</c>: the CLI side of <see cref="RuleManager"/>, so a push
/// is validated, conditional and recorded exactly like a change through the HTTP API.
/// </summary>
internal sealed class RuleChangesCommand(TextWriter stdout, TextWriter stderr)
{
    /// <summary>
    /// Writes each valid file through the manager: created if new (create-only), replaced if it differs from the row
    /// read (If-Match on that row's ETag), left alone if the same. A row that changed between the read and the write
    /// is reported as a conflict and not overwritten.
    /// </summary>
    public async Task<PushSummary> PushAsync(
        IReadOnlyList<RuleFile> files, RuleManager manager, RuleMode? mode, string who, CancellationToken cancellationToken)
    {
        int created = 0, replaced = 0, unchanged = 0, conflicts = 0, refused = 0;
        foreach (var file in files)
        {
            if (file.Record is not { } record)
            {
                continue;
            }

            var current = await manager.GetAsync(record.Pack, record.Id, cancellationToken).ConfigureAwait(false);
            var precondition = current?.ETag is { } etag ? RulePrecondition.Match(etag) : RulePrecondition.Create;
            var result = await manager.PutAsync(record.Pack, record.Id, record.Yaml, mode, precondition, who, cancellationToken).ConfigureAwait(false);
            switch (result.Status)
            {
                case RuleChangeStatus.Changed when result.Action == RuleChangeAction.Create:
                    created++;
                    break;
                case RuleChangeStatus.Changed:
                    replaced++;
                    break;
                case RuleChangeStatus.Unchanged:
                    unchanged++;
                    break;
                case RuleChangeStatus.Stale or RuleChangeStatus.AlreadyExists or RuleChangeStatus.NotFound:
                    conflicts++;
                    await stderr.WriteLineAsync($"{file.Path}: rule {record.Pack}/{record.Id} changed in the store while pushing; not overwritten (see 'rules history', then push again)").ConfigureAwait(false);
                    break;
                default:
                    refused++;
                    var why = result.Problems is { Count: > 0 } problems ? problems[0].Message : result.Detail;
                    await stderr.WriteLineAsync($"{file.Path}: rule {record.Pack}/{record.Id}: {SafeText.Clean(why)}").ConfigureAwait(false);
                    break;
            }
        }

        return new PushSummary(created, replaced, unchanged, conflicts, refused);
    }

    /// <summary>
    /// Runs one rule over telemetry files (read as replay reads them) and prints each matching event. Exit codes as
    /// grep: 0 when at least one event matched, 1 when none did, 2 for an invalid rule or unreadable input.
    /// </summary>
    public async Task<int> TestAsync(IReadOnlyList<string> positionals, CancellationToken cancellationToken)
    {
        if (positionals.Count < 2)
        {
            throw new UsageException("rules test needs a rule file and at least one telemetry file");
        }

        var rulePath = positionals[0];
        string yaml;
        try
        {
            yaml = await File.ReadAllTextAsync(rulePath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {rulePath}: {ex.Message}");
        }

        var now = TimeProvider.System.GetUtcNow();
        var messages = positionals.Skip(1).SelectMany(path => ReplayFiles.Read(path, now)).ToList();

        // Testing touches no store: the manager gets empty in-memory ones. A rule collection (a correlation shipped
        // with the rules it names) tests its first correlation, linked with the file's other documents.
        var documents = Core.Detect.Sigma.SigmaRuleCompiler.CheckDocuments(yaml);
        var tested = documents.FirstOrDefault(d => d.Rule?.Correlation is not null) ?? documents[0];
        var context = documents.Where(d => d != tested && d.Rule is not null)
            .Select(d => new RuleRecord("test", d.Rule!.Id, d.Rule.Title, d.Rule.Level.ToSigma(), true, RuleMode.DryRun, d.Yaml, now))
            .ToList();
        var result = await new RuleManager(new InMemoryRuleStore(), new InMemoryRuleHistory())
            .TestAsync(documents.Count > 1 ? tested.Yaml : yaml, messages, context, cancellationToken).ConfigureAwait(false);
        if (!result.IsValid)
        {
            foreach (var problem in result.Problems)
            {
                await stderr.WriteLineAsync($"{rulePath}:{problem.Line}:{problem.Column}: rule {problem.RuleId ?? "<no id>"}: {problem.Message}").ConfigureAwait(false);
            }

            return 2;
        }

        foreach (var match in result.Matches)
        {
            var fields = string.Join(", ", match.Fields.Select(f => $"{f.Key}={f.Value}"));
            await stdout.WriteLineAsync($"event {match.Index} {match.Timestamp:yyyy-MM-ddTHH:mm:ss.fffZ}: {fields}").ConfigureAwait(false);
        }

        foreach (var reject in result.Rejected)
        {
            await stderr.WriteLineAsync($"alertpipe: not evaluated: {reject.Position}: {reject.Reason}: {reject.Detail}").ConfigureAwait(false);
        }

        var shown = result.MatchCount > result.Matches.Count ? $" (first {result.Matches.Count} shown)" : string.Empty;
        await stdout.WriteLineAsync($"{result.MatchCount} of {result.Events} events matched rule {result.RuleId}{shown}").ConfigureAwait(false);
        return result.MatchCount > 0 ? 0 : 1;
    }

    /// <summary>Prints a rule's changes, newest first.</summary>
    public async Task<int> HistoryAsync(RuleManager manager, IReadOnlyList<string> positionals, string? maxText, CancellationToken cancellationToken)
    {
        if (positionals.Count != 2)
        {
            throw new UsageException("rules history needs a pack and a rule id");
        }

        var max = 50;
        if (maxText is not null && (!int.TryParse(maxText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out max) || max < 1))
        {
            throw new UsageException($"--max must be a positive number, not '{maxText}'");
        }

        var changes = await manager.HistoryAsync(positionals[0], positionals[1], max, cancellationToken).ConfigureAwait(false);
        await stdout.WriteLineAsync($"{"AT",-24} {"ACTION",-8} {"ENABLED",-10} {"MODE",-18} {"YAML",-8} WHO").ConfigureAwait(false);
        foreach (var change in changes)
        {
            var enabled = $"{YesNo(change.Before?.Enabled)}→{YesNo(change.After?.Enabled)}";
            var mode = $"{change.Before?.Mode.ToText() ?? "-"}→{change.After?.Mode.ToText() ?? "-"}";
            var yaml = change.Before is null || change.After is null ? "-" : change.Before.Yaml == change.After.Yaml ? "same" : "changed";
            await stdout.WriteLineAsync($"{change.At:yyyy-MM-ddTHH:mm:ss.fffZ} {change.Action.ToText(),-8} {enabled,-10} {mode,-18} {yaml,-8} {SafeText.Clean(change.Who, 128)}").ConfigureAwait(false);
        }

        return 0;
    }

    private static string YesNo(bool? value) => value switch { true => "yes", false => "no", null => "-" };
}
