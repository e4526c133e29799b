namespace AlertPipeline.Core.Respond.Shutdown;

/// <summary>
/// A signed order to stop one sandbox, as put on its command queue. The sandbox host agent verifies the
/// signature and expiry (see <see cref="CommandSigner.Verify"/>) and ignores a <see cref="CommandId"/> it has already executed.
/// </summary>
public sealed record ShutdownCommand
{
    /// <summary>Deterministic per alert, so a retried send is recognisably the same command.</summary>
    public required string CommandId { get; init; }

    /// <summary>
    /// What to do: one of <see cref="ShutdownActions.All"/>. Part of the signed content so a signature cannot be reused
    /// for another action.
    /// </summary>
    public string Action { get; init; } = ShutdownActions.Shutdown;

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

    /// <summary>Random per signing (base64url, 128 bits): the controller refuses a nonce it has seen (a replayed message).</summary>
    public string Nonce { get; init; } = string.Empty;

    /// <summary>Which signing key was used (for rotation).</summary>
    public string KeyId { get; init; } = string.Empty;

    /// <summary>Base64url HMAC-SHA256 over <see cref="CommandSigner.CanonicalForm"/>.</summary>
    public string Signature { get; init; } = string.Empty;
}

/// <summary>The actions a command may carry.</summary>
public static class ShutdownActions
{
    /// <summary>Stop the sandbox.</summary>
    public const string Shutdown = "shutdown";

    /// <summary>Cut the sandbox's network, keep it running for forensics.</summary>
    public const string IsolateNetwork = "isolate-network";

    /// <summary>Pause the sandbox's processes.</summary>
    public const string Suspend = "suspend";

    /// <summary>Every action a controller accepts.</summary>
    public static IReadOnlyList<string> All { get; } = [Shutdown, IsolateNetwork, Suspend];
}
