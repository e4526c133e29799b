using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace AlertPipeline.Adapters.Storage;

/// <summary>
/// Creates the Table and Queue service clients from configuration. Two shapes are accepted, the same ones the
/// Functions host uses for its own storage connections:
/// <list type="bullet">
/// <item>a connection string in <c>AlertStorage</c> (Azurite, or a key-based account);</item>
/// <item>identity-based <c>AlertStorage:tableServiceUri</c> and <c>AlertStorage:queueServiceUri</c>
/// (app settings <c>AlertStorage__tableServiceUri</c>, <c>AlertStorage__queueServiceUri</c>), authenticated with
/// <see cref="DefaultAzureCredential"/>; <c>AlertStorage:clientId</c> optionally picks a user-assigned managed identity.</item>
/// </list>
/// Retries are the SDK's default policy; failures surface as exceptions.
/// </summary>
public static class StorageClients
{
    /// <summary>Key under <see cref="StorageNames.Setting"/> with the Table service URI (identity-based form).</summary>
    public const string TableServiceUriKey = "tableServiceUri";

    /// <summary>Key under <see cref="StorageNames.Setting"/> with the Queue service URI (identity-based form).</summary>
    public const string QueueServiceUriKey = "queueServiceUri";

    /// <summary>Key under <see cref="StorageNames.Setting"/> with the Blob service URI (identity-based form; dead-letter payloads).</summary>
    public const string BlobServiceUriKey = "blobServiceUri";

    /// <summary>Key under <see cref="StorageNames.Setting"/> naming a user-assigned managed identity (optional).</summary>
    public const string ClientIdKey = "clientId";

    /// <summary>True when either a connection string or a table service URI is configured.</summary>
    public static bool IsTableStorageConfigured(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(ConnectionString(configuration))
            || !string.IsNullOrWhiteSpace(configuration[$"{StorageNames.Setting}:{TableServiceUriKey}"]);
    }

    /// <summary>True when either a connection string or a queue service URI is configured.</summary>
    public static bool IsQueueStorageConfigured(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(ConnectionString(configuration))
            || !string.IsNullOrWhiteSpace(configuration[$"{StorageNames.Setting}:{QueueServiceUriKey}"]);
    }

    /// <summary>True when either a connection string or a blob service URI is configured.</summary>
    public static bool IsBlobStorageConfigured(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(ConnectionString(configuration))
            || !string.IsNullOrWhiteSpace(configuration[$"{StorageNames.Setting}:{BlobServiceUriKey}"]);
    }

    /// <summary>The Blob service client for the configured account.</summary>
    /// <param name="configuration">Configuration holding <c>AlertStorage</c>.</param>
    /// <param name="credential">Credential for the identity-based form; <see cref="DefaultAzureCredential"/> when null.</param>
    /// <exception cref="InvalidOperationException">Neither form is configured.</exception>
    public static BlobServiceClient CreateBlobServiceClient(IConfiguration configuration, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = ConnectionString(configuration);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new BlobServiceClient(connectionString);
        }

        var uri = ServiceUri(configuration, BlobServiceUriKey);
        return new BlobServiceClient(uri, credential ?? CreateCredential(configuration));
    }

    /// <summary>The Table service client for the configured account.</summary>
    /// <param name="configuration">Configuration holding <c>AlertStorage</c>.</param>
    /// <param name="credential">Credential for the identity-based form; <see cref="DefaultAzureCredential"/> when null.</param>
    /// <exception cref="InvalidOperationException">Neither form is configured.</exception>
    public static TableServiceClient CreateTableServiceClient(IConfiguration configuration, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = ConnectionString(configuration);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new TableServiceClient(connectionString);
        }

        var uri = ServiceUri(configuration, TableServiceUriKey);
        return new TableServiceClient(uri, credential ?? CreateCredential(configuration));
    }

    /// <summary>
    /// The Queue service client for the configured account. Its messages are Base64-encoded, because the Functions
    /// queue trigger and the sandbox host agents decode Base64; queue clients taken from it inherit that.
    /// </summary>
    /// <param name="configuration">Configuration holding <c>AlertStorage</c>.</param>
    /// <param name="credential">Credential for the identity-based form; <see cref="DefaultAzureCredential"/> when null.</param>
    /// <exception cref="InvalidOperationException">Neither form is configured.</exception>
    public static QueueServiceClient CreateQueueServiceClient(IConfiguration configuration, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        var connectionString = ConnectionString(configuration);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new QueueServiceClient(connectionString, options);
        }

        var uri = ServiceUri(configuration, QueueServiceUriKey);
        return new QueueServiceClient(uri, credential ?? CreateCredential(configuration), options);
    }

    // A section can carry both a value and children; only the value is a connection string.
    private static string? ConnectionString(IConfiguration configuration) => configuration[StorageNames.Setting];

    private static Uri ServiceUri(IConfiguration configuration, string name)
    {
        var key = $"{StorageNames.Setting}:{name}";
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new InvalidOperationException(
                $"Storage is not configured: set '{StorageNames.Setting}' to a connection string, or '{key}' (app setting '{key.Replace(":", "__", StringComparison.Ordinal)}') for identity-based access.");
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            throw new InvalidOperationException($"'{key}' is not an absolute URI: '{text}'.");
        }

        return uri;
    }

    private static DefaultAzureCredential CreateCredential(IConfiguration configuration)
    {
        var clientId = configuration[$"{StorageNames.Setting}:{ClientIdKey}"];
        return string.IsNullOrWhiteSpace(clientId)
            ? new DefaultAzureCredential()
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId });
    }
}

/// <summary>
/// Runs a create-if-not-exists call once per instance, so a fresh account (or Azurite) works without provisioning
/// and a warm instance pays nothing. A failed or cancelled attempt is not cached: the next caller retries.
/// </summary>
internal sealed class CreateOnce(Func<CancellationToken, Task> create)
{
    private readonly Lock _gate = new();
    private Task? _task;

    public Task EnsureAsync(CancellationToken cancellationToken)
    {
        var task = Volatile.Read(ref _task);
        if (task is null || task.IsFaulted || task.IsCanceled)
        {
            lock (_gate)
            {
                if (_task is null || _task.IsFaulted || _task.IsCanceled)
                {
                    // Not the caller's token: one caller giving up must not fail the others waiting on the same creation.
                    _task = create(CancellationToken.None);
                }

                task = _task;
            }
        }

        return task.IsCompletedSuccessfully ? Task.CompletedTask : task.WaitAsync(cancellationToken);
    }
}

/// <summary>Table key rules shared by the stores.</summary>
internal static class TableKeys
{
    /// <summary>Longest key the service accepts (1 KiB of UTF-16).</summary>
    public const int MaxKeyLength = 512;

    /// <summary>Longest string property the service accepts (64 KiB of UTF-16).</summary>
    public const int MaxStringLength = 32 * 1024;

    /// <summary>True for characters the Table service forbids in PartitionKey/RowKey.</summary>
    public static bool IsForbidden(char c) => c is '/' or '\\' or '#' or '?' || char.IsControl(c);

    /// <summary>Rejects a key the service would reject, with a message that names the field (instead of a bare 400).</summary>
    public static string Require(string value, string what)
    {
        ArgumentNullException.ThrowIfNull(value, what);
        if (value.Length == 0 || value.Length > MaxKeyLength || value.Any(IsForbidden))
        {
            throw new ArgumentException($"{what} '{value}' cannot be a Table key: it must be 1-{MaxKeyLength} characters without / \\ # ? or control characters.", what);
        }

        return value;
    }

    /// <summary>
    /// Cuts <paramref name="value"/> to at most <paramref name="max"/> characters, ending in an ellipsis so the cut is visible,
    /// without splitting a surrogate pair (a lone surrogate would not survive the UTF-8 wire format).
    /// </summary>
    public static string Truncate(string value, int max)
    {
        if (value.Length <= max)
        {
            return value;
        }

        var end = max - 1;
        if (char.IsHighSurrogate(value[end - 1]))
        {
            end--;
        }

        return string.Concat(value.AsSpan(0, end), "…");
    }
}
