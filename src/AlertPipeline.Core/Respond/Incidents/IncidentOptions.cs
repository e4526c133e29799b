using AlertPipeline.Core.Detect;

namespace AlertPipeline.Core.Respond.Incidents;

/// <summary>Settings of incident tracking (section <c>Incidents</c>, app settings <c>Incidents__...</c>).</summary>
public sealed class IncidentOptions
{
    /// <summary>
    /// An alert joins the sandbox's latest incident when its events lie within this long of the incident's evidence
    /// (<c>[FirstSeen - Window, LastSeen + Window]</c>); since every joining alert moves <c>LastSeen</c>, the window
    /// extends while evidence keeps arriving.
    /// </summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Combinations that raise an incident's level; when set (<c>Incidents__Combinations__0__Name</c>,
    /// <c>..__Techniques__0</c>, <c>..__Level</c>) they replace <see cref="DefaultCombinations"/>.
    /// </summary>
    public List<IncidentCombination>? Combinations { get; set; }

    /// <summary>
    /// Most evidence entries (alert, tool call, process) on one timeline; later evidence is still counted in the
    /// incident's alerts, and one entry says the timeline was cut. Escalations, commands, notifications and status
    /// changes are always kept: they are few and they are what an operator acts on.
    /// </summary>
    public int MaxTimelineEntries { get; set; } = 200;

    /// <summary>The combinations in force: <see cref="Combinations"/> when set, else <see cref="DefaultCombinations"/>.</summary>
    public IReadOnlyList<IncidentCombination> EffectiveCombinations => Combinations is { Count: > 0 } set ? set : DefaultCombinations;

    /// <summary>Mining (T1496 resource hijacking) plus a tunnel (T1572 protocol tunneling) from one sandbox is critical.</summary>
    public static IReadOnlyList<IncidentCombination> DefaultCombinations { get; } =
    [
        new IncidentCombination { Name = "resource hijacking + protocol tunneling", Techniques = ["T1496", "T1572"], Level = AlertLevel.Critical },
    ];
}

/// <summary>
/// A set of ATT&amp;CK techniques that, seen together in one incident (from the tags of any of its alerts), raise the
/// incident to <see cref="Level"/>. A technique matches its sub-techniques (<c>T1552</c> matches <c>T1552.005</c>).
/// </summary>
public sealed class IncidentCombination
{
    /// <summary>Shown in the incident's level reasons and notifications.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Technique ids (<c>T1496</c>); all must be present.</summary>
    public List<string> Techniques { get; set; } = [];

    /// <summary>The level the incident rises to.</summary>
    public AlertLevel Level { get; set; } = AlertLevel.Critical;

    /// <summary>True when every technique of the combination is among <paramref name="seen"/> (or a sub-technique of it is).</summary>
    public bool HoldsFor(IReadOnlyCollection<string> seen)
        => Techniques.Count > 0 && Techniques.All(wanted => seen.Any(s =>
            string.Equals(s, wanted, StringComparison.OrdinalIgnoreCase)
            || s.StartsWith(wanted + ".", StringComparison.OrdinalIgnoreCase)));
}
