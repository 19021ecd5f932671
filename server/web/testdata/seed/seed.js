// The seed tutorial's client code (shared/seeds 001_…), as written there
// but for its selectors: the tutorial's $('username') selects no element,
// so it reads #username. Messages are added with .text(), never as HTML.
var socket;

function connect_socket (token) {
  socket = io.connect('', {
    query: 'token=' + token
  });
  socket.on('connect', function () {
    console.log('authenticated');
    $('#state').text('authenticated');
  }).on('disconnect', function () {
    console.log('disconnected');
    $('#state').text('disconnected');
  });
  socket.on('message', function (msg) {
    $('<li>').text(msg.author.username + ': ' + msg.text).appendTo('#log');
  });
}

$('#login').submit(function (e) {
  e.preventDefault();
  $.post('/login', {
    username: $('#username').val(),
    password: $('#password').val()
  }).done(function (result) {
    connect_socket(result.token);
  }).fail(function (xhr) {
    $('#state').text('login failed: ' + xhr.status);
  });
});

$('#say').submit(function (e) {
  e.preventDefault();
  socket.emit('message', { text: $('#text').val() }, function (ack) {
    $('#state').text(ack.ok ? 'sent ' + ack.message.id : 'refused ' + ack.error);
  });
});
