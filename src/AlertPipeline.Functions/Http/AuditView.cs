using System.Text.Json;
using AlertPipeline.Core.Respond.Audit;

namespace AlertPipeline.Functions.Http;

/// <summary>One audit entry as the API shows it; <see cref="Kind"/> as text (<c>notification</c>, <c>command</c>, <c>approval</c>, <c>controller-outcome</c>).</summary>
public sealed record AuditView(
    string EntryId, DateTimeOffset At, string Kind, string AlertId, string SandboxId, string Action, string Outcome, string Actor, string? Detail)
{
    /// <summary>The view of <paramref name="entry"/>.</summary>
    public static AuditView Of(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new(entry.EntryId, entry.At, KindText(entry.Kind), entry.AlertId, entry.SandboxId, entry.Action, entry.Outcome, entry.Actor, entry.Detail);
    }

    /// <summary>The text of <paramref name="kind"/>, as the CLI's JSON output writes it too.</summary>
    public static string KindText(AuditKind kind) => JsonNamingPolicy.KebabCaseLower.ConvertName(kind.ToString());
}

/// <summary>The answer of <c>GET audit</c>: the entries oldest first, and whether <c>max</c> cut the list.</summary>
public sealed record AuditListView(IReadOnlyList<AuditView> Entries, bool Truncated);
