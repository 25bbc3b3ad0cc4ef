/**
 * @module provider-directory
 * The provider ids routing may reference, offered by the dispatch plugin as
 * `dispatch.providers`. It is declared here, by its consumer, because dispatch already
 * imports routing's types (ModelRoute); declaring it in dispatch would make the two packages
 * import each other. Routing lists dispatch as an optional dependency: with dispatch loaded,
 * seeds and admin writes naming an unknown provider fail with VALIDATION_ERROR; without it,
 * provider ids are taken as written and checked when a request is dispatched.
 */
import { serviceRef } from '@scaigrid/kernel';

export interface ProviderDirectory {
  /** Ids of every configured provider instance, sorted. */
  providerIds(): string[];
}

export const providerDirectoryRef = serviceRef<ProviderDirectory>('dispatch.providers');
