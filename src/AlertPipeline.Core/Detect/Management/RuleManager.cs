using AlertPipeline.Core.Detect.Sigma;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Respond;

namespace AlertPipeline.Core.Detect.Management;

/// <summary>
/// Rule management as the HTTP functions and the CLI both do it: validate, test against sample telemetry, and change
/// rules only under a precondition (create-only or the ETag read), recording every change in the history.
/// </summary>
/// <remarks>
/// A change is written to the rule store first and then to the history. The two are different tables, so there is no
/// transaction: if the history write fails the exception reaches the caller (who sees the failure), and the rule
/// change stands without its history entry.
/// </remarks>
public sealed class RuleManager
{
    /// <summary>
    /// Longest rule YAML accepted, in characters: the Table string property limit, enforced here so the in-memory and
    /// Table stores accept the same rules and every history entry fits.
    /// </summary>
    public const int MaxYamlLength = 32 * 1024;

    /// <summary>Longest pack name.</summary>
    public const int MaxPackLength = 64;

    /// <summary>Longest rule id.</summary>
    public const int MaxIdLength = 128;

    /// <summary>Most matches a test lists (all are counted).</summary>
    public const int MaxTestMatches = 100;

    /// <summary>Most rejected sample records a test lists.</summary>
    public const int MaxTestRejects = 20;

    private const int MaxWhoLength = 128;

    // Enable/disable without an ETag re-reads and retries this often when a concurrent edit wins the race.
    private const int ToggleAttempts = 3;

    private readonly IRuleStore _rules;
    private readonly IRuleHistory _history;
    private readonly TelemetryIngestor _ingestor;
    private readonly TimeProvider _time;
    private readonly Sigma.SigmaPlaceholders? _placeholders;

    /// <summary>Creates the manager over the stores.</summary>
    public RuleManager(IRuleStore rules, IRuleHistory history, TelemetryIngestor? ingestor = null, TimeProvider? time = null, Sigma.SigmaPlaceholders? placeholders = null)
    {
        _placeholders = placeholders;
        _rules = rules ?? throw new ArgumentNullException(nameof(rules));
        _history = history ?? throw new ArgumentNullException(nameof(history));
        _ingestor = ingestor ?? new TelemetryIngestor();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// How each stored rule (of <paramref name="pack"/>, or all) stands when the pipeline loads the store as it is now:
    /// compiled with the configured placeholders and linked with every other stored rule, so a correlation that names
    /// a missing rule shows as broken. A running instance keeps the last good version of a broken rule running.
    /// </summary>
    public async Task<IReadOnlyDictionary<(string Pack, string Id), RuleHealth>> HealthAsync(string? pack, CancellationToken cancellationToken)
    {
        var all = await _rules.ListAsync(null, cancellationToken).ConfigureAwait(false);
        var set = RuleSet.Compile(all, _placeholders);
        var health = new Dictionary<(string, string), RuleHealth>();
        foreach (var rule in all.Where(r => pack is null || r.Pack == pack))
        {
            var problem = set.Errors.FirstOrDefault(e => e.Pack == rule.Pack && e.RuleId == rule.Id);
            health[(rule.Pack, rule.Id)] = !rule.Enabled ? new RuleHealth("disabled", null)
                : problem is null ? new RuleHealth("ok", null)
                : new RuleHealth("error", problem);
        }

        return health;
    }

    /// <summary>What is wrong with <paramref name="yaml"/> as a rule; empty when it is valid.</summary>
    public static IReadOnlyList<RuleProblem> Validate(string yaml) => Check(yaml).Problems;

    /// <summary><see cref="Check(string, Sigma.SigmaPlaceholders?)"/> with this deployment's <c>|expand</c> placeholders.</summary>
    public RuleValidation CheckWithPlaceholders(string yaml) => Check(yaml, _placeholders);

    /// <summary>Validates <paramref name="yaml"/> and, when valid, says which rule it is.</summary>
    public static RuleValidation Check(string yaml, Sigma.SigmaPlaceholders? placeholders = null)
    {
        var (rule, problems) = Compile(yaml, placeholders);
        return rule is null ? new RuleValidation(problems) : new RuleValidation([], rule.Id, rule.Title, rule.Level.ToSigma());
    }

    /// <summary>Why <paramref name="pack"/> and <paramref name="id"/> cannot name a stored rule, or null when they can.</summary>
    public static string? KeyProblem(string pack, string id) => PackProblem(pack) ?? IdProblem(id);

    private static string? PackProblem(string pack) =>
        string.IsNullOrEmpty(pack) || pack.Length > MaxPackLength || !pack.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? $"pack must be 1-{MaxPackLength} ASCII letters, digits, '-', '_' or '.'"
            : null;

    // The id is the Sigma id (normally a UUID); what the Table service forbids in keys is refused here for both stores.
    private static string? IdProblem(string id) =>
        string.IsNullOrEmpty(id) || id.Length > MaxIdLength || id.Any(c => char.IsControl(c) || c is '/' or '\\' or '#' or '?')
            ? $"rule id must be 1-{MaxIdLength} characters without / \\ # ? or control characters"
            : null;

    /// <summary>All rules, or those of one pack.</summary>
    public Task<IReadOnlyList<RuleRecord>> ListAsync(string? pack, CancellationToken cancellationToken) => _rules.ListAsync(pack, cancellationToken);

    /// <summary>One rule with its ETag, or null (also for a pack or id that cannot name a rule).</summary>
    public Task<RuleRecord?> GetAsync(string pack, string id, CancellationToken cancellationToken)
        => KeyProblem(pack, id) is null ? _rules.GetAsync(pack, id, cancellationToken) : Task.FromResult<RuleRecord?>(null);

    /// <summary>A rule's newest <paramref name="max"/> changes, newest first (kept after the rule is deleted).</summary>
    public Task<IReadOnlyList<RuleChange>> HistoryAsync(string pack, string id, int max, CancellationToken cancellationToken)
        => KeyProblem(pack, id) is null ? _history.ListAsync(pack, id, max, cancellationToken) : Task.FromResult<IReadOnlyList<RuleChange>>([]);

    /// <summary>
    /// Creates or replaces rule <paramref name="pack"/>/<paramref name="id"/> with <paramref name="yaml"/>. The YAML is
    /// validated first and its id must be <paramref name="id"/>. <paramref name="mode"/> null keeps a replaced rule's mode
    /// (a new rule enforces); a replaced rule keeps whether it is enabled (a new rule is enabled). The same YAML and mode
    /// again is <see cref="RuleChangeStatus.Unchanged"/> and writes nothing.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="precondition"/> is <see cref="RulePrecondition.None"/>.</exception>
    public async Task<RuleChangeResult> PutAsync(
        string pack, string id, string yaml, RuleMode? mode, RulePrecondition precondition, string who, CancellationToken cancellationToken)
    {
        if (precondition.IsNone)
        {
            throw new ArgumentException("A put needs a precondition: create-only or the ETag read.", nameof(precondition));
        }

        if (KeyProblem(pack, id) is { } keyProblem)
        {
            return new RuleChangeResult(RuleChangeStatus.BadKey, Detail: keyProblem);
        }

        var (compiled, problems) = Compile(yaml, _placeholders);
        if (compiled is null)
        {
            return new RuleChangeResult(RuleChangeStatus.Invalid, Problems: problems);
        }

        if (compiled.Id != id)
        {
            return new RuleChangeResult(RuleChangeStatus.Invalid, Problems:
                [new RuleProblem(compiled.Id, 0, 0, $"the rule's id '{SafeText.Clean(compiled.Id, MaxIdLength)}' is not the id '{id}' it is being stored as")]);
        }

        var now = _time.GetUtcNow();
        var current = await _rules.GetAsync(pack, id, cancellationToken).ConfigureAwait(false);
        if (precondition.CreateOnly)
        {
            if (current is not null)
            {
                return new RuleChangeResult(RuleChangeStatus.AlreadyExists, Detail: $"rule {pack}/{id} already exists");
            }

            var created = await _rules.CreateAsync(
                new RuleRecord(pack, id, compiled.Title, compiled.Level.ToSigma(), true, mode ?? RuleMode.Enforce, yaml, now), cancellationToken).ConfigureAwait(false);
            return await RecordAsync(created, RuleChangeAction.Create, null, who, now, pack, id, cancellationToken).ConfigureAwait(false);
        }

        if (Refuse(current, precondition.IfMatch, pack, id) is { } refused)
        {
            return refused;
        }

        if (current!.Yaml == yaml && (mode is null || mode == current.Mode))
        {
            return new RuleChangeResult(RuleChangeStatus.Unchanged, Rule: current);
        }

        var replacement = current with { Title = compiled.Title, Level = compiled.Level.ToSigma(), Yaml = yaml, Mode = mode ?? current.Mode, UpdatedAt = now };
        var replaced = await _rules.ReplaceAsync(replacement, precondition.IfMatch!, cancellationToken).ConfigureAwait(false);
        return await RecordAsync(replaced, RuleChangeAction.Replace, current, who, now, pack, id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the rule if it still has the ETag <paramref name="ifMatch"/> the caller read.</summary>
    /// <exception cref="ArgumentException"><paramref name="ifMatch"/> is empty or <c>*</c>.</exception>
    public async Task<RuleChangeResult> DeleteAsync(string pack, string id, string ifMatch, string who, CancellationToken cancellationToken)
    {
        RuleWriteResult.RequireETag(ifMatch);
        if (KeyProblem(pack, id) is { } keyProblem)
        {
            return new RuleChangeResult(RuleChangeStatus.BadKey, Detail: keyProblem);
        }

        var current = await _rules.GetAsync(pack, id, cancellationToken).ConfigureAwait(false);
        if (Refuse(current, ifMatch, pack, id) is { } refused)
        {
            return refused;
        }

        var now = _time.GetUtcNow();
        var deleted = await _rules.DeleteAsync(pack, id, ifMatch, cancellationToken).ConfigureAwait(false);
        return await RecordAsync(deleted, RuleChangeAction.Delete, current, who, now, pack, id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Switches a rule on or off. With an ETag the change happens only on that version; without one it applies to the
    /// current version, which cannot lose anyone's edit because only the flag changes and the write is still conditional
    /// on the version just read (re-read and retried if another write wins the race).
    /// </summary>
    public async Task<RuleChangeResult> SetEnabledAsync(
        string pack, string id, bool enabled, string? ifMatch, string who, CancellationToken cancellationToken)
    {
        if (ifMatch is not null)
        {
            RuleWriteResult.RequireETag(ifMatch);
        }

        if (KeyProblem(pack, id) is { } keyProblem)
        {
            return new RuleChangeResult(RuleChangeStatus.BadKey, Detail: keyProblem);
        }

        var action = enabled ? RuleChangeAction.Enable : RuleChangeAction.Disable;
        for (var attempt = 1; ; attempt++)
        {
            var current = await _rules.GetAsync(pack, id, cancellationToken).ConfigureAwait(false);
            if (Refuse(current, ifMatch ?? current?.ETag, pack, id) is { } refused)
            {
                return refused;
            }

            if (current!.Enabled == enabled)
            {
                return new RuleChangeResult(RuleChangeStatus.Unchanged, Rule: current);
            }

            var now = _time.GetUtcNow();
            var written = await _rules.ReplaceAsync(current with { Enabled = enabled, UpdatedAt = now }, current.ETag!, cancellationToken).ConfigureAwait(false);
            if (written.Outcome == RuleWriteOutcome.Stale && ifMatch is null && attempt < ToggleAttempts)
            {
                continue;
            }

            return await RecordAsync(written, action, current, who, now, pack, id, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Like <see cref="Test(string, IReadOnlyList{TelemetryMessage})"/>, and for a correlation rule runs the
    /// correlation: it is linked with <paramref name="context"/> (the rules it names; the stored enabled rules when
    /// null), the samples are evaluated in event time with fresh in-memory state, and each firing is one match
    /// (<c>Index</c> is the latest sample event of the group, or -1; the fields give group, count and window).
    /// </summary>
    public async Task<RuleTestResult> TestAsync(
        string yaml, IReadOnlyList<TelemetryMessage> messages, IEnumerable<RuleRecord>? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var (rule, problems) = Compile(yaml, _placeholders);
        if (rule?.Correlation is null)
        {
            return rule is null ? new RuleTestResult(problems, null, 0, 0, [], []) : Test(yaml, messages);
        }

        var others = context ?? await _rules.ListAsync(null, cancellationToken).ConfigureAwait(false);
        var records = others.Where(r => r.Id != rule.Id)
            .Append(new RuleRecord("test", rule.Id, rule.Title, rule.Level.ToSigma(), true, RuleMode.DryRun, yaml, _time.GetUtcNow()));
        var set = RuleSet.Compile(records, _placeholders);
        var index = set.Correlations.ToList().FindIndex(c => c.Id == rule.Id);
        if (index < 0)
        {
            var problem = set.Errors.FirstOrDefault(e => e.RuleId == rule.Id);
            return new RuleTestResult(
                [new RuleProblem(SafeText.Clean(rule.Id, MaxIdLength), problem?.Line ?? 1, problem?.Column ?? 1, problem?.Problem ?? "the correlation does not link")], null, 0, 0, [], []);
        }

        var batch = new EventBatch();
        foreach (var message in messages)
        {
            _ingestor.Ingest(message, batch);
        }

        new EnrichmentStage(SandboxSnapshot.Empty).Enrich(batch);
        var detections = new List<Detection>();
        set.Evaluate(batch, detections);
        var engine = new Correlation.CorrelationEngine(new Correlation.InMemoryCorrelationStateStore(), time: _time);
        var firings = (await engine.ProcessAsync(set, batch, detections, static (_, _) => Task.CompletedTask, cancellationToken).ConfigureAwait(false))
            .Where(f => f.Correlation.Id == rule.Id)
            .ToList();
        var matches = firings.Take(MaxTestMatches).Select(f => new RuleTestMatch(
            f.BatchEvents.Count > 0 ? f.BatchEvents[^1] : -1,
            f.WindowEnd,
            new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["correlation.count"] = f.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["correlation.group"] = SafeText.Clean(string.Join(", ", f.Correlation.GroupNames.Select((name, g) => $"{name}={f.GroupValues[g]}"))),
                ["correlation.window"] = $"{f.WindowStart:O} .. {f.WindowEnd:O}",
            })).ToList();
        var rejected = batch.Rejects.Take(MaxTestRejects)
            .Select(r => new RuleTestReject(SafeText.Clean(r.Position.ToString(), 128), SafeText.Clean(r.Reason, 64), SafeText.Clean(r.Detail)))
            .ToList();
        return new RuleTestResult([], rule.Id, batch.Count, firings.Count, matches, rejected);
    }

    /// <summary>Runs <paramref name="yaml"/> over one sample telemetry body (any format the pipeline ingests).</summary>
    public RuleTestResult Test(string yaml, ReadOnlyMemory<byte> sample)
        => Test(yaml, [new TelemetryMessage(sample, "sample", 0, _time.GetUtcNow())]);

    /// <summary>
    /// Runs <paramref name="yaml"/> over sample telemetry messages: parsed by the pipeline's ingestor and enriched with
    /// address classes (no sandbox inventory), then every event evaluated. Reports which events matched and the values
    /// of the fields the rule reads, cleaned for display. Nothing is stored and no alert is raised.
    /// </summary>
    public RuleTestResult Test(string yaml, IReadOnlyList<TelemetryMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var (rule, problems) = Compile(yaml, _placeholders);
        if (rule is null)
        {
            return new RuleTestResult(problems, null, 0, 0, [], []);
        }

        var batch = new EventBatch();
        foreach (var message in messages)
        {
            _ingestor.Ingest(message, batch);
        }

        new EnrichmentStage(SandboxSnapshot.Empty).Enrich(batch);
        var matches = new List<RuleTestMatch>();
        var matchCount = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            if (!rule.Matches(batch, i))
            {
                continue;
            }

            matchCount++;
            if (matches.Count < MaxTestMatches)
            {
                var fields = new SortedDictionary<string, string>(StringComparer.Ordinal);
                foreach (var field in rule.Fields)
                {
                    if (batch.Has(i, field))
                    {
                        fields[EcsFields.NameOf(field)] = SafeText.Clean(batch.GetString(i, field));
                    }
                }

                matches.Add(new RuleTestMatch(i, batch.Timestamp(i), fields));
            }
        }

        var rejected = batch.Rejects.Take(MaxTestRejects)
            .Select(r => new RuleTestReject(SafeText.Clean(r.Position.ToString(), 128), SafeText.Clean(r.Reason, 64), SafeText.Clean(r.Detail)))
            .ToList();
        return new RuleTestResult([], rule.Id, batch.Count, matchCount, matches, rejected);
    }

    /// <summary>
    /// The one place a rule's YAML is checked. The compiler's wider entry (correlation rules, several documents) is
    /// meant to be called from here, so the API, the CLI and every write agree on what a valid rule is.
    /// </summary>
    private static (CompiledRule? Rule, IReadOnlyList<RuleProblem> Problems) Compile(string yaml, Sigma.SigmaPlaceholders? placeholders)
    {
        if (string.IsNullOrWhiteSpace(yaml))
        {
            return (null, [new RuleProblem(null, 0, 0, "the rule is empty")]);
        }

        if (yaml.Length > MaxYamlLength)
        {
            return (null, [new RuleProblem(null, 0, 0, $"the rule is {yaml.Length} characters long; at most {MaxYamlLength} are stored")]);
        }

        try
        {
            var rule = SigmaRuleCompiler.Compile(yaml, placeholders);
            return IdProblem(rule.Id) is { } idProblem
                ? (null, [new RuleProblem(SafeText.Clean(rule.Id, MaxIdLength), 0, 0, idProblem)])
                : (rule, []);
        }
        catch (RuleCompileException e)
        {
            return (null, [new RuleProblem(e.RuleId is null ? null : SafeText.Clean(e.RuleId, MaxIdLength), e.Line, e.Column, e.Problem)]);
        }
    }

    /// <summary>The refusal for a write on <paramref name="current"/> conditional on <paramref name="ifMatch"/>, or null to go ahead.</summary>
    private static RuleChangeResult? Refuse(RuleRecord? current, string? ifMatch, string pack, string id) =>
        current is null ? new RuleChangeResult(RuleChangeStatus.NotFound, Detail: $"rule {pack}/{id} does not exist")
        : current.ETag != ifMatch ? new RuleChangeResult(RuleChangeStatus.Stale, Detail: $"rule {pack}/{id} changed since it was read")
        : null;

    /// <summary>Maps the store's answer; on success appends the history entry.</summary>
    private async Task<RuleChangeResult> RecordAsync(
        RuleWriteResult written, RuleChangeAction action, RuleRecord? before, string who, DateTimeOffset at, string pack, string id, CancellationToken cancellationToken)
    {
        switch (written.Outcome)
        {
            case RuleWriteOutcome.AlreadyExists:
                return new RuleChangeResult(RuleChangeStatus.AlreadyExists, Detail: $"rule {pack}/{id} already exists");
            case RuleWriteOutcome.NotFound:
                return new RuleChangeResult(RuleChangeStatus.NotFound, Detail: $"rule {pack}/{id} does not exist");
            case RuleWriteOutcome.Stale:
                return new RuleChangeResult(RuleChangeStatus.Stale, Detail: $"rule {pack}/{id} changed since it was read");
        }

        var after = written.Rule;
        var change = new RuleChange(pack, id, at, CleanWho(who), action,
            before is null ? null : RuleState.Of(before), after is null ? null : RuleState.Of(after));
        await _history.AppendAsync(change, cancellationToken).ConfigureAwait(false);
        return new RuleChangeResult(RuleChangeStatus.Changed, action, after);
    }

    // The caller's name comes from a header or the OS: a label for the record, bounded and without control characters.
    private static string CleanWho(string? who)
    {
        var clean = SafeText.Clean(who?.Trim(), MaxWhoLength);
        return clean.Length == 0 ? "unknown" : clean;
    }
}

/// <summary>A stored rule's standing: <c>ok</c>, <c>disabled</c> or <c>error</c> with the located problem.</summary>
public sealed record RuleHealth(string Status, RuleLoadError? Problem);
