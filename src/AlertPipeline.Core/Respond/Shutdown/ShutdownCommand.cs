namespace AlertPipeline.Core.Respond.Shutdown;

/// <summary>
/// A signed order to stop one sandbox, as put on its command queue. The sandbox host agent verifies the
/// signature and expiry (see <see cref="CommandSigner.Verify"/>) and ignores a <see cref="CommandId"/> it has already executed.
/// </summary>
public sealed record ShutdownCommand
{
    /// <summary>Deterministic per alert, so a retried send is recognisably the same command.</summary>
    public required string CommandId { get; init; }

    /// <summary>Always <c>shutdown</c> for now; part of the signed content so a signature cannot be reused for another action.</summary>
    public string Action { get; init; } = "shutdown";

    /// <summary>The sandbox to stop.</summary>
    public required string SandboxId { get; init; }

    /// <summary>The alert that caused it.</summary>
    public required string AlertId { get; init; }

    /// <summary>The rule that fired.</summary>
    public required string RuleId { get; init; }

    /// <summary>Human-readable reason (rule title, cleaned and truncated).</summary>
    public required string Reason { get; init; }

    /// <summary>When the command was signed.</summary>
    public required DateTimeOffset IssuedAt { get; init; }

    /// <summary>After this instant the agent must refuse the command.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Which signing key was used (for rotation).</summary>
    public string KeyId { get; init; } = string.Empty;

    /// <summary>Base64url HMAC-SHA256 over <see cref="CommandSigner.CanonicalForm"/>.</summary>
    public string Signature { get; init; } = string.Empty;
}
