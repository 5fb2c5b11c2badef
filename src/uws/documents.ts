/**
 * UWS 1.1 XML documents (namespace http://www.ivoa.net/xml/UWS/v1.0, version 1.1): the
 * job list, a job, its results and its parameters. Elements come in the order of the
 * UWS 1.1 schema.
 */
import { escapeXml } from '../dali/index.js';
import { isoInstant, type Job } from './job.js';

export const UWS_NAMESPACE = 'http://www.ivoa.net/xml/UWS/v1.0';
export const UWS_VERSION = '1.1';
/** The one result of a job (TAP 1.1 §3: results/result). */
export const RESULT_ID = 'result';

/**
 * The result ids of a capability's jobs: the main result (the file the executor writes
 * at its result path), and further files it writes beside it (e.g. a preview).
 */
export interface ResultNames {
  readonly main: string;
  readonly extra?: readonly { readonly id: string; readonly contentType: string }[];
  /**
   * Further results a job may or may not write (their number known only when it ran):
   * each file it wrote whose id starts with one of these prefixes is listed.
   */
  readonly byPrefix?: readonly { readonly prefix: string; readonly contentType: string }[];
}

const DEFAULT_RESULTS: ResultNames = { main: RESULT_ID };

const NAMESPACES =
  `xmlns:uws="${UWS_NAMESPACE}" xmlns:xlink="http://www.w3.org/1999/xlink" ` +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n';

function nillable(name: string, value: string | null, indent: string): string {
  return value === null
    ? `${indent}<uws:${name} xsi:nil="true"/>\n`
    : `${indent}<uws:${name}>${escapeXml(value)}</uws:${name}>\n`;
}

const instant = (date: Date | null): string | null => (date ? isoInstant(date) : null);

function runId(job: Job, indent: string): string {
  return job.runId === null ? '' : `${indent}<uws:runId>${escapeXml(job.runId)}</uws:runId>\n`;
}

/** The job list (GET /{jobs}), jobs already filtered and ordered. */
export function jobListDocument(jobs: readonly Job[], jobsUrl: string): string {
  let xml = `${PROLOG}<uws:jobs ${NAMESPACES} version="${UWS_VERSION}">\n`;
  for (const job of jobs) {
    const href = escapeXml(`${jobsUrl}/${job.jobId}`);
    xml += `  <uws:jobref id="${escapeXml(job.jobId)}" xlink:href="${href}">\n`;
    xml += `    <uws:phase>${job.phase}</uws:phase>\n`;
    xml += runId(job, '    ');
    xml += nillable('ownerId', job.ownerId, '    ');
    xml += `    <uws:creationTime>${isoInstant(job.creationTime)}</uws:creationTime>\n`;
    xml += '  </uws:jobref>\n';
  }
  return `${xml}</uws:jobs>\n`;
}

function resultsElement(
  job: Job,
  jobUrl: string,
  indent: string,
  namespaces = '',
  names: ResultNames = DEFAULT_RESULTS,
): string {
  const open = `${indent}<uws:results${namespaces}`;
  if (job.phase !== 'COMPLETED' || job.resultType === null) return `${open}/>\n`;
  const result = (id: string, type: string, size: string): string =>
    `${indent}  <uws:result id="${escapeXml(id)}" xlink:type="simple" ` +
    `xlink:href="${escapeXml(`${jobUrl}/results/${id}`)}"${size} mime-type="${escapeXml(type)}"/>\n`;
  const size = job.resultSize === null ? '' : ` size="${job.resultSize}"`;
  let xml = `${open}>\n${result(names.main, job.resultType, size)}`;
  for (const extra of names.extra ?? []) xml += result(extra.id, extra.contentType, '');
  return `${xml}${indent}</uws:results>\n`;
}

function parametersElement(job: Job, indent: string, namespaces = ''): string {
  if (job.parameters.length === 0) return `${indent}<uws:parameters${namespaces}/>\n`;
  let xml = `${indent}<uws:parameters${namespaces}>\n`;
  for (const { name, value } of job.parameters) {
    xml += `${indent}  <uws:parameter id="${escapeXml(name)}">${escapeXml(value)}</uws:parameter>\n`;
  }
  return `${xml}${indent}</uws:parameters>\n`;
}

/** What the job tells of its progress (UWS 1.1 jobInfo, free content): hearc's own elements. */
function jobInfoElement(job: Job, indent: string): string {
  const report = job.report;
  if (!report || (report.progress === undefined && report.status === undefined)) return '';
  let xml = `${indent}<uws:jobInfo>\n`;
  if (report.progress !== undefined) {
    xml += `${indent}  <progress xmlns="${JOB_INFO_NAMESPACE}">${report.progress}</progress>\n`;
  }
  if (report.status !== undefined) {
    xml += `${indent}  <status xmlns="${JOB_INFO_NAMESPACE}">${escapeXml(report.status)}</status>\n`;
  }
  return `${xml}${indent}</uws:jobInfo>\n`;
}

/** The namespace of the elements hearc puts in uws:jobInfo. */
export const JOB_INFO_NAMESPACE = 'urn:hearc:uws-job-info';

/** The job (GET /{jobs}/{job-id}). */
export function jobDocument(job: Job, jobUrl: string, names?: ResultNames): string {
  let xml = `${PROLOG}<uws:job ${NAMESPACES} version="${UWS_VERSION}">\n`;
  xml += `  <uws:jobId>${escapeXml(job.jobId)}</uws:jobId>\n`;
  xml += runId(job, '  ');
  xml += nillable('ownerId', job.ownerId, '  ');
  xml += `  <uws:phase>${job.phase}</uws:phase>\n`;
  xml += nillable('quote', job.report?.quote ?? null, '  ');
  xml += `  <uws:creationTime>${isoInstant(job.creationTime)}</uws:creationTime>\n`;
  xml += nillable('startTime', instant(job.startTime), '  ');
  xml += nillable('endTime', instant(job.endTime), '  ');
  xml += `  <uws:executionDuration>${job.executionDuration}</uws:executionDuration>\n`;
  xml += nillable('destruction', isoInstant(job.destruction), '  ');
  xml += parametersElement(job, '  ');
  xml += resultsElement(job, jobUrl, '  ', '', names);
  if (job.phase === 'ERROR' && job.errorMessage !== null) {
    xml += '  <uws:errorSummary type="fatal" hasDetail="true">\n';
    xml += `    <uws:message>${escapeXml(job.errorMessage)}</uws:message>\n`;
    xml += '  </uws:errorSummary>\n';
  }
  xml += jobInfoElement(job, '  ');
  return `${xml}</uws:job>\n`;
}

/** GET /{jobs}/{job-id}/results */
export function resultsDocument(job: Job, jobUrl: string, names?: ResultNames): string {
  return PROLOG + resultsElement(job, jobUrl, '', ` ${NAMESPACES}`, names);
}

/** GET /{jobs}/{job-id}/parameters */
export function parametersDocument(job: Job): string {
  return PROLOG + parametersElement(job, '', ` ${NAMESPACES}`);
}
