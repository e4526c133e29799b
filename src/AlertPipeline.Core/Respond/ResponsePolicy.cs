using System.Net.Mail;
using AlertPipeline.Core.Detect;

namespace AlertPipeline.Core.Respond;

/// <summary>How the shutdown channel acts for the alerts a policy entry covers.</summary>
public enum ShutdownMode
{
    /// <summary>A signed command goes out at once (within the guardrails).</summary>
    Automatic,

    /// <summary>No command goes out until a human approves: the action is recorded as awaiting approval.</summary>
    Approval,

    /// <summary>No command; the action is recorded as skipped by the policy.</summary>
    Off,
}

/// <summary>Parsing and naming of <see cref="ShutdownMode"/> as the policy table and its JSON spell it.</summary>
public static class ShutdownModes
{
    /// <summary>Parses <c>automatic</c>, <c>approval</c> or <c>off</c> (case-insensitive).</summary>
    public static bool TryParse(string? text, out ShutdownMode mode)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "automatic": mode = ShutdownMode.Automatic; return true;
            case "approval": mode = ShutdownMode.Approval; return true;
            case "off": mode = ShutdownMode.Off; return true;
            default: mode = default; return false;
        }
    }

    /// <summary>The stored spelling of <paramref name="mode"/>.</summary>
    public static string ToText(this ShutdownMode mode) => mode switch
    {
        ShutdownMode.Automatic => "automatic",
        ShutdownMode.Approval => "approval",
        ShutdownMode.Off => "off",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };
}

/// <summary>
/// One stored entry of the response policy (Table <c>responsepolicy</c>), as written: text, so that a row edited by hand
/// into something invalid can still be read, reported and kept out of force (<see cref="ResponsePolicy.Validate"/>).
/// </summary>
public sealed record ResponsePolicyEntry
{
    /// <summary>The entry's name, chosen by the operator (letters, digits, <c>. _ -</c>; at most 64).</summary>
    public required string Id { get; init; }

    /// <summary>The alert level it covers (Sigma spelling); required.</summary>
    public required string Level { get; init; }

    /// <summary>Only alerts of this rule id, when set.</summary>
    public string? RuleId { get; init; }

    /// <summary>Only alerts on sandboxes of this team (inventory <c>Team</c>), when set.</summary>
    public string? Team { get; init; }

    /// <summary>Only alerts on sandboxes of this environment (inventory <c>Environment</c>), when set.</summary>
    public string? Environment { get; init; }

    /// <summary>The channels that act (<c>email</c>, <c>teams</c>, <c>shutdown</c>); empty records the alert only.</summary>
    public IReadOnlyList<string> Channels { get; init; } = [];

    /// <summary>Email recipients instead of the configured <c>Notifications__To</c>; the sandbox owner is added either way.</summary>
    public IReadOnlyList<string> Recipients { get; init; } = [];

    /// <summary>A SendGrid dynamic template id (<c>d-…</c>) instead of the configured one.</summary>
    public string? TemplateId { get; init; }

    /// <summary>How the shutdown channel acts: <c>automatic</c> (the default when empty), <c>approval</c> or <c>off</c>.</summary>
    public string? Shutdown { get; init; }

    /// <summary>The stored version (set by the store).</summary>
    public string? ETag { get; init; }
}

/// <summary>What the policy decided for one alert.</summary>
/// <param name="Channels">The channels that act, in order.</param>
/// <param name="Recipients">Email recipients; empty means the configured ones.</param>
/// <param name="TemplateId">SendGrid dynamic template id; null means the configured one.</param>
/// <param name="Shutdown">How the shutdown channel acts.</param>
/// <param name="EntryId">The entry that decided, or null for the settings-based default.</param>
public sealed record ResponseDecision(
    IReadOnlyList<string> Channels,
    IReadOnlyList<string> Recipients,
    string? TemplateId,
    ShutdownMode Shutdown,
    string? EntryId);

/// <summary>
/// Which channels act on an alert, who is emailed, and whether shutdown is automatic, needs approval or is off.
/// Entries (Table <c>responsepolicy</c>) match on level and optionally on rule id, team and environment; every field an
/// entry sets must match. The most specific matching entry decides alone (no merging): rule id counts 4, team 2,
/// environment 1, so the order is rule &gt; team+environment &gt; team &gt; environment &gt; level only; a tie goes to the
/// entry id that sorts first. Without a match the settings-based default decides: critical → email, Teams, shutdown;
/// high → email, Teams; medium → Teams; low and informational → record only; configured recipients and template,
/// automatic shutdown. An instance is immutable: the <see cref="Policy.ResponsePolicyProvider"/> swaps whole ones.
/// </summary>
public sealed class ResponsePolicy
{
    /// <summary>Longest entry id.</summary>
    public const int MaxIdLength = 64;

    /// <summary>Most recipients per entry.</summary>
    public const int MaxRecipients = 50;

    private const int MaxMatchLength = 128;

    private readonly IReadOnlyList<string>[] _byLevel;
    private readonly Matcher[][] _entriesByLevel;

    /// <summary>Creates a policy from level → channel names, without entries.</summary>
    public ResponsePolicy(IReadOnlyDictionary<AlertLevel, IReadOnlyList<string>> channelsByLevel)
    {
        ArgumentNullException.ThrowIfNull(channelsByLevel);
        _byLevel = new IReadOnlyList<string>[(int)AlertLevel.Critical + 1];
        for (var level = AlertLevel.Informational; level <= AlertLevel.Critical; level++)
        {
            _byLevel[(int)level] = channelsByLevel.TryGetValue(level, out var channels) ? channels : [];
        }

        _entriesByLevel = [.. Enumerable.Range(0, _byLevel.Length).Select(_ => Array.Empty<Matcher>())];
        Entries = [];
    }

    private ResponsePolicy(IReadOnlyList<string>[] byLevel, Matcher[][] entriesByLevel, IReadOnlyList<ResponsePolicyEntry> entries)
    {
        _byLevel = byLevel;
        _entriesByLevel = entriesByLevel;
        Entries = entries;
    }

    /// <summary>The channel names a policy may name.</summary>
    public static IReadOnlyList<string> KnownChannels { get; } = ["email", "teams", "shutdown"];

    /// <summary>The default policy.</summary>
    public static ResponsePolicy Default { get; } = new(new Dictionary<AlertLevel, IReadOnlyList<string>>
    {
        [AlertLevel.Critical] = ["email", "teams", "shutdown"],
        [AlertLevel.High] = ["email", "teams"],
        [AlertLevel.Medium] = ["teams"],
    });

    /// <summary>The entries in force, ordered by id.</summary>
    public IReadOnlyList<ResponsePolicyEntry> Entries { get; }

    /// <summary>
    /// Parses overrides such as <c>critical=email,teams,shutdown</c> per level; levels not given keep the default.
    /// Throws <see cref="FormatException"/> naming the bad level or channel, so a bad setting fails at start, loudly.
    /// </summary>
    public static ResponsePolicy FromSettings(IReadOnlyDictionary<string, string?> levelToChannels, IReadOnlyCollection<string> knownChannels)
    {
        ArgumentNullException.ThrowIfNull(levelToChannels);
        ArgumentNullException.ThrowIfNull(knownChannels);
        var map = new Dictionary<AlertLevel, IReadOnlyList<string>>();
        for (var level = AlertLevel.Informational; level <= AlertLevel.Critical; level++)
        {
            map[level] = Default.ChannelsFor(level);
        }

        foreach (var (key, value) in levelToChannels)
        {
            if (!AlertLevels.TryParse(key, out var level))
            {
                throw new FormatException($"Response policy: unknown level '{key}'.");
            }

            var channels = (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var channel in channels)
            {
                if (!knownChannels.Contains(channel))
                {
                    throw new FormatException($"Response policy: level '{key}' names unknown channel '{channel}'.");
                }
            }

            map[level] = channels;
        }

        return new ResponsePolicy(map);
    }

    /// <summary>The default channels for <paramref name="level"/> (when no entry matches), in order.</summary>
    public IReadOnlyList<string> ChannelsFor(AlertLevel level) => _byLevel[(int)level];

    /// <summary>This policy's defaults with <paramref name="entries"/> (replacing any it had).</summary>
    /// <exception cref="ArgumentException">An entry is not valid, or two share an id.</exception>
    public ResponsePolicy WithEntries(IEnumerable<ResponsePolicyEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var ordered = entries.OrderBy(e => e.Id, StringComparer.Ordinal).ToList();
        var byLevel = new List<Matcher>[_byLevel.Length];
        for (var i = 0; i < byLevel.Length; i++)
        {
            byLevel[i] = [];
        }

        for (var i = 0; i < ordered.Count; i++)
        {
            var entry = ordered[i];
            var problems = Validate(entry);
            if (problems.Count > 0)
            {
                throw new ArgumentException($"Response policy entry '{entry.Id}': {string.Join("; ", problems)}", nameof(entries));
            }

            if (i > 0 && ordered[i - 1].Id == entry.Id)
            {
                throw new ArgumentException($"Response policy entry '{entry.Id}' is given twice.", nameof(entries));
            }

            AlertLevels.TryParse(entry.Level, out var level);
            byLevel[(int)level].Add(new Matcher(entry));
        }

        // Most specific first; OrderBy is stable, so ties keep the id order.
        var compiled = byLevel.Select(list => list.OrderByDescending(m => m.Specificity).ToArray()).ToArray();
        return new ResponsePolicy(_byLevel, compiled, ordered);
    }

    /// <summary>The decision for an alert of <paramref name="level"/> from rule <paramref name="ruleId"/> on a sandbox of <paramref name="team"/> and <paramref name="environment"/>.</summary>
    public ResponseDecision Resolve(AlertLevel level, string? ruleId, string? team, string? environment)
    {
        foreach (var matcher in _entriesByLevel[(int)level])
        {
            if (matcher.Matches(ruleId, team, environment))
            {
                return matcher.Decision;
            }
        }

        return new ResponseDecision(_byLevel[(int)level], [], null, ShutdownMode.Automatic, null);
    }

    /// <summary>
    /// Everything wrong with <paramref name="entry"/>, each as a sentence an operator can act on; empty when valid.
    /// Stores refuse to write an invalid entry, and the provider keeps an invalid stored row out of force.
    /// </summary>
    public static IReadOnlyList<string> Validate(ResponsePolicyEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var problems = new List<string>();
        if (string.IsNullOrEmpty(entry.Id) || entry.Id.Length > MaxIdLength || !IsIdStart(entry.Id[0]) || !entry.Id.All(IsIdChar))
        {
            problems.Add($"id '{SafeText.Clean(entry.Id, MaxIdLength + 8)}' must be 1-{MaxIdLength} letters, digits, '.', '_' or '-', starting with a letter or digit");
        }

        if (!AlertLevels.TryParse(entry.Level, out _))
        {
            problems.Add($"level '{SafeText.Clean(entry.Level, 32)}' is not one of informational, low, medium, high, critical");
        }

        CheckMatchField(entry.RuleId, "ruleId", problems);
        CheckMatchField(entry.Team, "team", problems);
        CheckMatchField(entry.Environment, "environment", problems);

        var channels = entry.Channels ?? [];
        foreach (var channel in channels)
        {
            if (!KnownChannels.Contains(channel))
            {
                problems.Add($"channel '{SafeText.Clean(channel, 32)}' is not one of {string.Join(", ", KnownChannels)}");
            }
        }

        if (channels.Distinct(StringComparer.Ordinal).Count() != channels.Count)
        {
            problems.Add("a channel is listed twice");
        }

        var recipients = entry.Recipients ?? [];
        if (recipients.Count > MaxRecipients)
        {
            problems.Add($"{recipients.Count} recipients; at most {MaxRecipients}");
        }

        foreach (var recipient in recipients.Where(r => !IsPlainEmail(r)))
        {
            problems.Add($"recipient '{SafeText.Clean(recipient, 64)}' is not a plain email address");
        }

        if (entry.TemplateId is not null && !IsTemplateId(entry.TemplateId))
        {
            problems.Add($"templateId '{SafeText.Clean(entry.TemplateId, 64)}' is not a SendGrid dynamic template id (d- followed by letters and digits)");
        }

        var usesEmail = channels.Contains("email");
        if (!usesEmail && (recipients.Count > 0 || entry.TemplateId is not null))
        {
            problems.Add("recipients and templateId need channel 'email'");
        }

        if (entry.Shutdown is not null && !ShutdownModes.TryParse(entry.Shutdown, out _))
        {
            problems.Add($"shutdown '{SafeText.Clean(entry.Shutdown, 32)}' is not one of automatic, approval, off");
        }
        else if (ShutdownModes.TryParse(entry.Shutdown, out var mode) && mode != ShutdownMode.Off && !channels.Contains("shutdown"))
        {
            // Saying "approval" without the channel would look like a guard while nothing would ever be asked.
            problems.Add($"shutdown '{mode.ToText()}' needs channel 'shutdown' in channels");
        }

        return problems;
    }

    private static void CheckMatchField(string? value, string name, List<string> problems)
    {
        if (value is not null && (string.IsNullOrWhiteSpace(value) || value.Length > MaxMatchLength || value.Any(char.IsControl)))
        {
            problems.Add($"{name} must be omitted or 1-{MaxMatchLength} printable characters");
        }
    }

    private static bool IsIdStart(char c) => char.IsAsciiLetterOrDigit(c);

    private static bool IsIdChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';

    private static bool IsTemplateId(string value)
        => value.Length is > 2 and <= 64 && value.StartsWith("d-", StringComparison.Ordinal) && value.Skip(2).All(char.IsAsciiLetterOrDigit);

    // Recipients go into mail headers and a comma-separated column: only a bare address passes (no display name, quotes,
    // separators or control characters).
    private static bool IsPlainEmail(string? value)
        => value is { Length: > 0 and <= 254 } && !value.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is ',' or ';' or '"')
            && MailAddress.TryCreate(value, out var address) && address.Address == value && address.DisplayName.Length == 0;

    /// <summary>A valid entry, ready to match.</summary>
    private sealed class Matcher
    {
        private readonly string? _ruleId;
        private readonly string? _team;
        private readonly string? _environment;

        public Matcher(ResponsePolicyEntry entry)
        {
            _ruleId = entry.RuleId;
            _team = entry.Team;
            _environment = entry.Environment;
            Specificity = (_ruleId is null ? 0 : 4) + (_team is null ? 0 : 2) + (_environment is null ? 0 : 1);
            ShutdownModes.TryParse(entry.Shutdown, out var mode);
            Decision = new ResponseDecision(
                [.. entry.Channels],
                [.. entry.Recipients.Distinct(StringComparer.OrdinalIgnoreCase)],
                entry.TemplateId,
                entry.Shutdown is null ? ShutdownMode.Automatic : mode,
                entry.Id);
        }

        public int Specificity { get; }

        public ResponseDecision Decision { get; }

        // Rule ids are exact (Sigma ids); team and environment are inventory labels typed by people, so case is ignored.
        public bool Matches(string? ruleId, string? team, string? environment)
            => (_ruleId is null || string.Equals(_ruleId, ruleId, StringComparison.Ordinal))
                && (_team is null || string.Equals(_team, team, StringComparison.OrdinalIgnoreCase))
                && (_environment is null || string.Equals(_environment, environment, StringComparison.OrdinalIgnoreCase));
    }
}
