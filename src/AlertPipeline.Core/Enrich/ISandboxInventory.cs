namespace AlertPipeline.Core.Enrich;

/// <summary>Where the sandbox inventory is kept (Table <c>sandboxes</c> in Azure, memory or a file in the embedded mode).</summary>
public interface ISandboxInventory
{
    /// <summary>Every sandbox.</summary>
    Task<IReadOnlyList<SandboxRecord>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>The embedded-mode twin of the Table inventory.</summary>
public sealed class InMemorySandboxInventory(IEnumerable<SandboxRecord> sandboxes) : ISandboxInventory
{
    private readonly IReadOnlyList<SandboxRecord> _sandboxes = [.. sandboxes];

    /// <inheritdoc />
    public Task<IReadOnlyList<SandboxRecord>> ListAsync(CancellationToken cancellationToken) => Task.FromResult(_sandboxes);
}
