// @ts-check
'use strict';

/**
 * The "assistant": no model, just a deterministic answer, so tests and demos can predict it exactly.
 * @param {string} text  what the user wrote
 * @param {number} userCount  how many messages users have sent so far, this one included
 */
function makeReply(text, userCount) {
  const words = text.trim().split(/\s+/).filter(Boolean).length;
  const preview = text.length > 60 ? text.slice(0, 57) + '...' : text;
  return `You said "${preview}": ${plural(words, 'word')}. ` +
    `That makes ${plural(userCount, 'message')} in this conversation.`;
}

/**
 * @param {number} n
 * @param {string} noun
 */
function plural(n, noun) {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

module.exports = { makeReply };
