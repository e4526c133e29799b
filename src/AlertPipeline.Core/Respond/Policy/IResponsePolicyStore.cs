namespace AlertPipeline.Core.Respond.Policy;

/// <summary>
/// Where the response policy's entries are kept: Table <c>responsepolicy</c> in Azure, memory in the embedded mode.
/// Both pass one contract test. Writes are validated (<see cref="ResponsePolicy.Validate"/>); reads return rows as
/// stored, valid or not, because a row can be edited in the table by hand: the <see cref="ResponsePolicyProvider"/>
/// judges them.
/// </summary>
public interface IResponsePolicyStore
{
    /// <summary>Every stored entry, ordered by id.</summary>
    Task<IReadOnlyList<ResponsePolicyEntry>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Creates or replaces the entry with <paramref name="entry"/>'s id; returns it with its new ETag.</summary>
    /// <exception cref="ArgumentException">The entry is not valid; the message lists every problem and nothing is written.</exception>
    Task<ResponsePolicyEntry> PutAsync(ResponsePolicyEntry entry, CancellationToken cancellationToken);

    /// <summary>Deletes the entry; false if it did not exist.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);
}

/// <summary>The check both stores make before a write.</summary>
public static class ResponsePolicyWrites
{
    /// <summary>Throws <see cref="ArgumentException"/> listing every problem of <paramref name="entry"/>.</summary>
    public static ResponsePolicyEntry RequireValid(ResponsePolicyEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var problems = ResponsePolicy.Validate(entry);
        return problems.Count == 0
            ? entry
            : throw new ArgumentException($"Response policy entry '{SafeText.Clean(entry.Id, 80)}' is not valid: {string.Join("; ", problems)}", nameof(entry));
    }
}
