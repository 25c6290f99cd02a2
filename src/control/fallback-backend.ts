import { fallbackJobDto, type ChannelFallbackDto, type FallbackJobDto } from '../contract/index.js';
import { ControlPlaneError, type SharedBackend } from './shared-backend.js';

/** A channel's fallback: uploads conformed to its live parameters, their jobs, and the files made. */
export class FallbackBackend {
  readonly #shared: SharedBackend;

  constructor(shared: SharedBackend) {
    this.#shared = shared;
  }

  readonly maxUploadBytes = (): number => this.#shared.fallback.maxUploadBytes;

  readonly uploadPath = (): string => this.#shared.fallback.incomingPath();

  readonly checkChannel = (channelId: string): void => {
    this.#shared.checkChannel(channelId, 'channelId');
  };

  readonly accept = async (
    channelId: string,
    tmpFile: string,
    originalName: string,
  ): Promise<FallbackJobDto> => {
    this.#shared.checkChannel(channelId, 'channelId');
    const params = this.#shared.live.fallbackParams(channelId);
    return fallbackJobDto(await this.#shared.fallback.accept(channelId, tmpFile, originalName, params));
  };

  readonly job = (id: string): FallbackJobDto => {
    const job = this.#shared.fallback.job(id);
    if (!job) throw new ControlPlaneError('NOT_FOUND', `no fallback job '${id}'`, 'id');
    return fallbackJobDto(job);
  };

  readonly channel = (channelId: string): ChannelFallbackDto => {
    this.#shared.checkChannel(channelId, 'id');
    const info = this.#shared.fallback.info(channelId);
    const original = info.original;
    return {
      info: {
        original: original
          ? { name: original.name, sizeBytes: original.sizeBytes, uploadedAt: original.uploadedAt }
          : null,
        renditions: info.renditions.map((r) => ({ key: r.key, sizeBytes: r.sizeBytes })),
      },
      jobs: this.#shared.fallback.jobs(channelId).map(fallbackJobDto),
    };
  };

  readonly remove = (channelId: string): void => {
    this.#shared.checkChannel(channelId, 'id');
    this.#shared.fallback.remove(channelId);
  };

  readonly original = (channelId: string): { path: string; name: string; sizeBytes: number } => {
    this.#shared.checkChannel(channelId, 'id');
    const file = this.#shared.fallback.originalFile(channelId);
    if (!file)
      throw new ControlPlaneError('NOT_FOUND', `channel '${channelId}' has no fallback upload`, 'id');
    return { path: file.path, name: file.name, sizeBytes: file.sizeBytes };
  };
}
