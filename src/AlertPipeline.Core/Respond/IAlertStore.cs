namespace AlertPipeline.Core.Respond;

/// <summary>
/// Where alerts are kept, with optimistic concurrency so two instances handling one alert cannot lose
/// each other's counts or action outcomes. Table Storage in Azure, memory in the embedded mode; both pass one contract test.
/// </summary>
public interface IAlertStore
{
    /// <summary>The alert, or null.</summary>
    Task<Alert?> GetAsync(string alertId, CancellationToken cancellationToken);

    /// <summary>Adds a new alert; false if one with that id exists. Sets <see cref="Alert.ETag"/> on success.</summary>
    Task<bool> TryAddAsync(Alert alert, CancellationToken cancellationToken);

    /// <summary>Replaces the alert if its <see cref="Alert.ETag"/> is current; false on a concurrent change. Sets the new ETag on success.</summary>
    Task<bool> TryUpdateAsync(Alert alert, CancellationToken cancellationToken);

    /// <summary>The most recently seen alerts, newest first.</summary>
    Task<IReadOnlyList<Alert>> ListAsync(int max, CancellationToken cancellationToken);
}
